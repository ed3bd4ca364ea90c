"""XML0 records of real check-ins carry the hospital's signature (CHUKYDONVI), verified by xmlsec1:
the staff export, and the files the HIS file drop writes. Unsigned export stays possible for a HIS
that signs itself, and says so."""
import subprocess
import sys
from urllib.parse import unquote

import pytest
from lxml import etree

from backend import create_app
from backend.adapters.bhxh.client import BhxhClient
from backend.adapters.db.migrate import upgrade
from backend.adapters.his.xml0 import parse_xml0_document
from backend.adapters.his.xml0_signing import SigningCertificateError
from backend.services.his_sync import sync_outbox
from backend.simulators.bhxh_data import DEFAULT_ACCOUNT, DEFAULT_STAFF_CCCD, DEFAULT_STAFF_NAME
from tests.integration.identification_api.test_identify_api import AN, identify, ticket
from tests.support.app import CONFIG, TEST_PII_KEY, TEST_SECRET, make_backend
from tests.support.certificates import make_p12, xmlsec1_verify

DS = "http://www.w3.org/2000/09/xmldsig#"


@pytest.fixture
def cert(tmp_path):
    return make_p12(tmp_path)


def _backend(db_url, clock, bhxh_sim, **settings):
    checker = BhxhClient(bhxh_sim.url, DEFAULT_ACCOUNT.username, DEFAULT_ACCOUNT.password,
                         DEFAULT_STAFF_NAME, DEFAULT_STAFF_CCCD, read_timeout=1.0)
    return make_backend(db_url, clock=clock, card_checker=checker, **settings)


def _check_in(b) -> str:
    r = ticket(b, identify(b, scan=AN).get_json()["identify_token"])
    assert r.status_code == 201, r.get_json()
    return r.get_json()["visit_id"]


def _export(b, visit_id):
    b.add_staff("letan", "reception")
    r = b.login("letan").get(f"/api/v1/visits/{visit_id}/xml0")
    assert r.status_code == 200, r.get_data(as_text=True)
    return r


def test_staff_export_is_signed_by_the_hospital(db_url, clock, bhxh_sim, cert, tmp_path):
    b = _backend(db_url, clock, bhxh_sim, his_signing_p12=str(cert.p12_path),
                 his_signing_p12_password=cert.password)
    visit_id = _check_in(b)

    r = _export(b, visit_id)

    assert r.headers["X-XML0-Signed"] == "true"
    assert unquote(r.headers["X-XML0-Signer"]) == cert.subject  # UTF-8, percent-encoded for HTTP
    root = etree.fromstring(r.data)
    assert [child.tag for child in root] == ["DSACH_TRANG_THAI_KCB", "CHUKYDONVI"]
    assert root.find("CHUKYDONVI")[0].tag == f"{{{DS}}}Signature"
    verified = xmlsec1_verify(r.data, cert, tmp_path)
    assert verified.returncode == 0, verified.stderr
    fields = parse_xml0_document(r.data)[0]
    assert fields["MA_LK"] == visit_id and fields["SO_CCCD"] == "001090012345"
    # a byte changed after signing is caught by the independent verifier
    tampered = r.data.replace(b"<SO_CCCD>001090012345", b"<SO_CCCD>001090012346")
    assert xmlsec1_verify(tampered, cert, tmp_path).returncode != 0


def test_certificate_expired_since_start_refuses_to_export_unsigned(db_url, clock, bhxh_sim, tmp_path):
    from datetime import timedelta

    cert = make_p12(tmp_path, valid_to=clock.now + timedelta(days=10))
    b = _backend(db_url, clock, bhxh_sim, his_signing_p12=str(cert.p12_path),
                 his_signing_p12_password=cert.password)
    visit_id = _check_in(b)
    b.add_staff("letan", "reception")
    staff = b.login("letan")
    clock.advance(days=11)

    r = staff.get(f"/api/v1/visits/{visit_id}/xml0")
    assert r.status_code == 503 and r.mimetype == "application/problem+json"
    assert r.get_json()["code"] == "XML0_SIGNING_UNAVAILABLE" and "hết hạn" in r.get_json()["title"]
    r = staff.get(f"/api/v1/visits/{visit_id}/xml0", headers={"Accept-Language": "en"})
    assert "expired" in r.get_json()["title"]


@pytest.mark.parametrize("how", ["no certificate", "HIS_XML0_SIGN=0"])
def test_unsigned_export_for_a_his_that_signs_itself(db_url, clock, bhxh_sim, cert, how):
    settings = {} if how == "no certificate" else {
        "his_xml0_sign": False, "his_signing_p12": str(cert.p12_path), "his_signing_p12_password": cert.password}
    b = _backend(db_url, clock, bhxh_sim, **settings)
    r = _export(b, _check_in(b))
    assert r.headers["X-XML0-Signed"] == "false"
    assert "X-XML0-Signer" not in r.headers
    slot = etree.fromstring(r.data).find("CHUKYDONVI")
    assert slot is not None and len(slot) == 0  # the template's empty slot, for the HIS to fill
    assert b"xmldsig" not in r.data


def test_files_in_his_xml0_dir_are_signed(db_url, clock, bhxh_sim, cert, tmp_path):
    outbox = tmp_path / "his-drop"
    outbox.mkdir()
    b = _backend(db_url, clock, bhxh_sim, his_xml0_dir=str(outbox), his_signing_p12=str(cert.p12_path),
                 his_signing_p12_password=cert.password)
    visit_id = _check_in(b)

    assert sync_outbox(b.deps) == {"sent": 1, "retry": 0, "parked": 0}

    (written,) = list(outbox.iterdir())
    content = written.read_bytes()
    assert parse_xml0_document(content)[0]["MA_LK"] == visit_id
    verified = xmlsec1_verify(content, cert, tmp_path)
    assert verified.returncode == 0, verified.stderr


def _app_config(sqlite_url, **settings):
    upgrade(sqlite_url)
    return {"database_url": sqlite_url, "secret_key": TEST_SECRET, "pii_key": TEST_PII_KEY,
            "config_path": CONFIG, "background_workers": False, **settings}


@pytest.mark.parametrize("fault", ["missing file", "wrong password", "expired", "sign without certificate"])
def test_refuses_to_start_with_an_unusable_certificate(sqlite_url, tmp_path, fault):
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)
    cert = make_p12(tmp_path, valid_from=now - timedelta(days=30), valid_to=now - timedelta(days=1)) \
        if fault == "expired" else make_p12(tmp_path)
    settings = {"his_signing_p12": str(cert.p12_path), "his_signing_p12_password": cert.password}
    if fault == "missing file":
        settings["his_signing_p12"] = str(tmp_path / "missing.p12")
    elif fault == "wrong password":
        settings["his_signing_p12_password"] = "khong-dung-mat-khau"
    elif fault == "sign without certificate":
        settings = {"his_xml0_sign": True}
    with pytest.raises(SigningCertificateError) as caught:
        create_app(_app_config(sqlite_url, **settings))
    message = str(caught.value)
    assert "HIS_SIGNING_P12" in message
    vietnamese, english = message.splitlines()  # Vietnamese first, English second
    assert any(word in vietnamese for word in ("tệp", "mật khẩu", "hết hạn", "cần"))
    assert any(word in english for word in ("file", "password", "expired", "needs"))
    assert cert.password not in message and "khong-dung-mat-khau" not in message


def test_serve_refuses_a_wrong_certificate_password_and_never_prints_it(sqlite_url, tmp_path):
    from tests.support.servers import server_env

    upgrade(sqlite_url)
    cert = make_p12(tmp_path)
    env = server_env(sqlite_url, HIS_SIGNING_P12=str(cert.p12_path), HIS_SIGNING_P12_PASSWORD="sai-mat-khau-123")
    done = subprocess.run([sys.executable, "-m", "backend.cli", "serve", "--port", "0"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "HIS_SIGNING_P12_PASSWORD" in done.stderr
    assert "mật khẩu" in done.stderr.lower() and "password" in done.stderr.lower()
    assert "sai-mat-khau-123" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_other_commands_also_refuse_clearly(sqlite_url, tmp_path):
    from tests.support.servers import server_env

    upgrade(sqlite_url)
    env = server_env(sqlite_url, HIS_SIGNING_P12=str(tmp_path / "chua-cai.p12"))
    done = subprocess.run([sys.executable, "-m", "backend.cli", "device", "list"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Không tìm thấy tệp chứng thư số HIS_SIGNING_P12" in done.stderr and "not found" in done.stderr
    assert "Traceback" not in done.stderr
