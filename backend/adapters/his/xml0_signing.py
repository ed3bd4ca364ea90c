"""The facility signature on XML0 records: an XML-DSig enveloped signature with the hospital's
certificate, placed in `CHUKYDONVI` as the BHXH gateway's templates for QĐ 130 / QĐ 4750 have it.

    <CHI_TIEU_TRANG_THAI_KCB>
      <DSACH_TRANG_THAI_KCB> … </DSACH_TRANG_THAI_KCB>
      <CHUKYDONVI><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"> … </Signature></CHUKYDONVI>
    </CHI_TIEU_TRANG_THAI_KCB>

The signature covers the whole document (Reference URI="", enveloped-signature transform), so
everything from `<CHI_TIEU_TRANG_THAI_KCB>` to `</DSACH_TRANG_THAI_KCB>` is signed, with SHA-256.
Choices made for the gateway's verifiers, which are mostly .NET `SignedXml`: inclusive Canonical XML
1.0 (not 1.1, which `SignedXml` does not implement), the xmldsig namespace as the default namespace
(no `ds:` prefix), and the signer's certificate in `KeyInfo/X509Data`.

The certificate arrives as a PKCS#12 file (.p12/.pfx), the form Vietnamese CAs issue organisation
certificates in, with its password from the environment. Every fault in it stops the server at
start-up with a message in Vietnamese and English that names the setting, never the password.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, pkcs12
from lxml import etree
from signxml import SignatureConstructionMethod, XMLSigner, namespaces
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

from backend.services.ports.signing import SignedDocument, SigningUnavailable

log = logging.getLogger(__name__)

SIGNATURE_SLOT = "CHUKYDONVI"
_PLACEHOLDER_ID = "placeholder"  # signxml puts the signature where an element with this Id stands
_DER_SEQUENCE = 0x30  # every PKCS#12 file starts with an ASN.1 SEQUENCE


class SigningCertificateError(RuntimeError):
    """The configured certificate cannot be used. The message is for the person starting the server."""


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _day(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


class Pkcs12XmlSigner:
    """Signs XML0 documents with one certificate and its private key (RSA or EC)."""

    def __init__(self, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, certificate: x509.Certificate,
                 *, now: Callable[[], datetime] = _utc_now) -> None:
        self._key = key
        self._certificate = certificate
        self._now = now
        self._method = SignatureMethod.RSA_SHA256 if isinstance(key, rsa.RSAPrivateKey) \
            else SignatureMethod.ECDSA_SHA256
        self.subject = certificate.subject.rfc4514_string()
        self.valid_until = certificate.not_valid_after_utc

    def sign(self, document: bytes) -> SignedDocument:
        if self._now() > self.valid_until:
            # Checked at start-up too; this catches a certificate that expires while the server runs.
            log.error("xml0 signing certificate expired on %s", _day(self.valid_until))
            raise SigningUnavailable("certificate_expired")
        # The document comes from our own builder, but the parser still refuses entities and network.
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.fromstring(document, parser)
        slot = root.find(SIGNATURE_SLOT)
        if slot is None:
            slot = etree.SubElement(root, SIGNATURE_SLOT)
        if len(slot):
            raise ValueError(f"{SIGNATURE_SLOT} is already filled")
        slot.text = None
        etree.SubElement(slot, etree.QName(namespaces.ds, "Signature"), Id=_PLACEHOLDER_ID,
                         nsmap={None: namespaces.ds})
        signer = XMLSigner(
            method=SignatureConstructionMethod.enveloped,
            signature_algorithm=self._method,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
        )
        signer.namespaces = {None: namespaces.ds}
        signed = signer.sign(root, key=self._key, cert=[self._certificate])
        content = etree.tostring(signed, xml_declaration=True, encoding="utf-8")
        return SignedDocument(content=content, signed=True, signer_subject=self.subject)


def load_pkcs12_signer(path: str | os.PathLike[str], password: str | None, *,
                       now: Callable[[], datetime] = _utc_now) -> Pkcs12XmlSigner:
    """The signer for a PKCS#12 file, or `SigningCertificateError` saying what is wrong with it."""
    path = Path(path)
    if not path.exists():
        raise SigningCertificateError(
            f"Không tìm thấy tệp chứng thư số HIS_SIGNING_P12: {path}\n"
            f"HIS_SIGNING_P12: certificate file not found: {path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningCertificateError(
            f"Không đọc được tệp chứng thư số HIS_SIGNING_P12 ({path}): {type(exc).__name__}\n"
            f"HIS_SIGNING_P12: cannot read the certificate file {path}: {type(exc).__name__}") from None
    if not data or data[0] != _DER_SEQUENCE:
        raise SigningCertificateError(
            f"Tệp HIS_SIGNING_P12 ({path}) không phải tệp PKCS#12 (.p12/.pfx) gồm chứng thư và khóa bí mật\n"
            f"HIS_SIGNING_P12 ({path}) is not a PKCS#12 (.p12/.pfx) file with a certificate and private key")
    try:
        secret = password.encode() if password else None
        key, certificate, _chain = pkcs12.load_key_and_certificates(data, secret)
    except ValueError:
        # cryptography cannot tell a wrong password from a damaged file; the first is far likelier.
        raise SigningCertificateError(
            f"Không mở được tệp PKCS#12 HIS_SIGNING_P12 ({path}): sai mật khẩu HIS_SIGNING_P12_PASSWORD "
            f"(hoặc tệp hỏng)\n"
            f"Cannot open the PKCS#12 file HIS_SIGNING_P12 ({path}): wrong password in "
            f"HIS_SIGNING_P12_PASSWORD (or a damaged file)") from None
    if key is None or certificate is None:
        raise SigningCertificateError(
            f"Tệp HIS_SIGNING_P12 ({path}) phải chứa cả chứng thư số và khóa bí mật\n"
            f"HIS_SIGNING_P12 ({path}) must hold both the certificate and its private key")
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise SigningCertificateError(
            f"Khóa trong HIS_SIGNING_P12 ({path}) phải là RSA hoặc EC\n"
            f"The key in HIS_SIGNING_P12 ({path}) must be RSA or EC")
    if _public(key.public_key()) != _public(certificate.public_key()):
        raise SigningCertificateError(
            f"Khóa bí mật trong HIS_SIGNING_P12 ({path}) không khớp với chứng thư số\n"
            f"The private key in HIS_SIGNING_P12 ({path}) does not belong to its certificate")
    moment = now()
    subject = certificate.subject.rfc4514_string()
    starts, ends = _day(certificate.not_valid_before_utc), _day(certificate.not_valid_after_utc)
    if moment > certificate.not_valid_after_utc:
        raise SigningCertificateError(
            f"Chứng thư số HIS_SIGNING_P12 ({subject}) đã hết hạn từ {ends}; "
            f"hãy gia hạn với nhà cung cấp chữ ký số\n"
            f"The HIS_SIGNING_P12 certificate ({subject}) expired on {ends}; renew it with the CA")
    if moment < certificate.not_valid_before_utc:
        raise SigningCertificateError(
            f"Chứng thư số HIS_SIGNING_P12 ({subject}) chưa có hiệu lực (có hiệu lực từ {starts})\n"
            f"The HIS_SIGNING_P12 certificate ({subject}) is not valid before {starts}")
    log.info("xml0 records will be signed by %s (valid until %s)", subject, ends)
    return Pkcs12XmlSigner(key, certificate, now=now)


def _public(key) -> bytes:
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
