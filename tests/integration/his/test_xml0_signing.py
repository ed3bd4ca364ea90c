"""The facility signature (CHUKYDONVI) on XML0 records, checked with Debian's xmlsec1.

The signer is real (signxml over a PKCS#12 file made here); the verifier is independent of it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree

from backend.adapters.his.xml0 import Xml0FileExporter, build_xml0_document, parse_xml0_registrations
from backend.adapters.his.xml0_signing import SigningCertificateError, load_pkcs12_signer
from backend.services.ports.his import HisReason, HisUnavailable
from backend.services.ports.signing import DocumentSigner, LeaveUnsigned
from tests.support.certificates import make_p12, xmlsec1_verify

DS = "http://www.w3.org/2000/09/xmldsig#"


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    directory = tmp_path_factory.mktemp("certs")
    return {"rsa": make_p12(directory, name="rsa"), "ec": make_p12(directory, name="ec", key_type="ec"),
            "other": make_p12(directory, name="other")}


def _signature_slot(document: bytes):
    root = etree.fromstring(document)
    children = [child.tag for child in root]
    assert children == ["DSACH_TRANG_THAI_KCB", "CHUKYDONVI"]  # the slot of the published template
    return root.find("CHUKYDONVI")


@pytest.mark.parametrize("key_type", ["rsa", "ec"])
def test_signed_record_verifies_with_xmlsec1(tmp_path, certs, make_registration, key_type):
    signer = load_pkcs12_signer(certs[key_type].p12_path, certs[key_type].password)
    reg = make_registration()

    result = signer.sign(build_xml0_document(reg))

    assert isinstance(signer, DocumentSigner)
    assert result.signed is True and result.signer_subject == certs[key_type].subject
    slot = _signature_slot(result.content)
    (signature,) = list(slot)
    assert signature.tag == f"{{{DS}}}Signature"
    assert signature.find(f".//{{{DS}}}Reference").get("URI") == ""  # the whole record, less the signature
    assert signature.find(f".//{{{DS}}}X509Certificate") is not None
    assert signature.find(f".//{{{DS}}}DigestMethod").get("Algorithm").endswith("sha256")
    verified = xmlsec1_verify(result.content, certs[key_type], tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert "OK" in verified.stdout + verified.stderr
    # and the signed document is still an XML0 record of that visit
    assert parse_xml0_registrations(result.content) == [reg]


def test_vietnamese_text_survives_signing(tmp_path, certs, make_registration):
    signer = load_pkcs12_signer(certs["rsa"].p12_path, certs["rsa"].password)
    reg = make_registration(full_name="Đặng Thị Ánh Nguyệt & <Bé>")
    result = signer.sign(build_xml0_document(reg))
    assert "Đặng Thị Ánh Nguyệt".encode() in result.content
    assert xmlsec1_verify(result.content, certs["rsa"], tmp_path).returncode == 0


@pytest.mark.parametrize("change", [
    (b"<HO_TEN>Nguy", b"<HO_TEN>Ngyu"),  # one letter of the name
    (b"<MA_THE_BHYT>DN", b"<MA_THE_BHYT>HT"),  # the card code
    (b"</DSACH_TRANG_THAI_KCB>", b"<TRANG_THAI_KCB/></DSACH_TRANG_THAI_KCB>"),  # a record slipped in
])
def test_tampered_record_fails_xmlsec1(tmp_path, certs, make_registration, change):
    signer = load_pkcs12_signer(certs["rsa"].p12_path, certs["rsa"].password)
    signed = signer.sign(build_xml0_document(make_registration())).content
    old, new = change
    assert old in signed
    tampered = signed.replace(old, new, 1)
    verified = xmlsec1_verify(tampered, certs["rsa"], tmp_path)
    assert verified.returncode != 0


def test_signature_by_another_certificate_is_not_trusted(tmp_path, certs, make_registration):
    signer = load_pkcs12_signer(certs["other"].p12_path, certs["other"].password)
    signed = signer.sign(build_xml0_document(make_registration())).content
    assert xmlsec1_verify(signed, certs["rsa"], tmp_path).returncode != 0


def test_unsigned_mode_leaves_the_slot_empty_and_says_so(make_registration):
    document = build_xml0_document(make_registration())
    result = LeaveUnsigned().sign(document)
    assert result.content == document
    assert result.signed is False and result.signer_subject is None
    slot = _signature_slot(result.content)
    assert len(slot) == 0 and not (slot.text or "").strip()


def test_files_written_to_the_outbox_are_signed(tmp_path, certs, make_registration):
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    signer = load_pkcs12_signer(certs["rsa"].p12_path, certs["rsa"].password)
    reg = make_registration()

    Xml0FileExporter(outbox, signer=signer).register_visit(reg)

    (written,) = list(outbox.iterdir())
    content = written.read_bytes()
    assert parse_xml0_registrations(content) == [reg]
    verified = xmlsec1_verify(content, certs["rsa"], tmp_path)
    assert verified.returncode == 0, verified.stderr


def test_files_stay_unsigned_without_a_signer(tmp_path, make_registration):
    Xml0FileExporter(tmp_path).register_visit(make_registration())
    (written,) = list(tmp_path.iterdir())
    assert len(_signature_slot(written.read_bytes())) == 0


def test_certificate_expiring_while_running_stops_signing_not_the_outbox(tmp_path, make_registration):
    soon = datetime.now(timezone.utc) + timedelta(days=2)
    cert = make_p12(tmp_path, name="short", valid_to=soon)
    clock = [datetime.now(timezone.utc)]
    signer = load_pkcs12_signer(cert.p12_path, cert.password, now=lambda: clock[0])
    clock[0] = soon + timedelta(seconds=1)  # the server kept running past the certificate's end
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    with pytest.raises(HisUnavailable) as caught:
        Xml0FileExporter(outbox, signer=signer).register_visit(make_registration())
    assert caught.value.reason == HisReason.SIGNING_UNAVAILABLE
    assert list(outbox.iterdir()) == []  # nothing unsigned slipped out in its place


# --- the certificate file: each fault refuses to start, in both languages, without the password

def test_missing_file_is_refused(tmp_path):
    with pytest.raises(SigningCertificateError) as caught:
        load_pkcs12_signer(tmp_path / "khong-co.p12", "x")
    message = str(caught.value)
    assert "HIS_SIGNING_P12" in message and "khong-co.p12" in message
    assert "Không" in message and "not found" in message.lower()


def test_wrong_password_is_refused_without_echoing_it(certs):
    with pytest.raises(SigningCertificateError) as caught:
        load_pkcs12_signer(certs["rsa"].p12_path, "mat-khau-sai-be-tac")
    message = str(caught.value)
    assert "HIS_SIGNING_P12_PASSWORD" in message
    assert "mật khẩu" in message.lower() and "password" in message.lower()
    assert "mat-khau-sai-be-tac" not in message and certs["rsa"].password not in message


def test_file_that_is_not_pkcs12_is_refused(tmp_path):
    bogus = tmp_path / "bogus.p12"
    bogus.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot really\n")
    with pytest.raises(SigningCertificateError) as caught:
        load_pkcs12_signer(bogus, "x")
    assert "PKCS#12" in str(caught.value)


def test_unreadable_file_is_refused(tmp_path):
    with pytest.raises(SigningCertificateError) as caught:
        load_pkcs12_signer(tmp_path, "x")  # a directory: exists, cannot be read as a file
    assert "HIS_SIGNING_P12" in str(caught.value)


def test_expired_certificate_is_refused(tmp_path):
    now = datetime.now(timezone.utc)
    cert = make_p12(tmp_path, name="old", valid_from=now - timedelta(days=400), valid_to=now - timedelta(days=1))
    with pytest.raises(SigningCertificateError) as caught:
        load_pkcs12_signer(cert.p12_path, cert.password)
    message = str(caught.value)
    assert "hết hạn" in message and "expired" in message
    assert (now - timedelta(days=1)).strftime("%Y-%m-%d") in message


def test_not_yet_valid_certificate_is_refused(tmp_path):
    now = datetime.now(timezone.utc)
    cert = make_p12(tmp_path, name="future", valid_from=now + timedelta(days=2), valid_to=now + timedelta(days=400))
    with pytest.raises(SigningCertificateError) as caught:
        load_pkcs12_signer(cert.p12_path, cert.password)
    assert "chưa có hiệu lực" in str(caught.value) and "not valid before" in str(caught.value)
