"""Throwaway signing certificates for tests: a key and a self-signed X.509 certificate in a PKCS#12
file, the way a CA (Viettel-CA, VNPT-CA, BKAV-CA…) hands a hospital its organisation certificate.

Also runs Debian's `xmlsec1`, the independent verifier the signing tests check our signatures with.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

HOSPITAL_NAME = "Bệnh viện Đa khoa Thử nghiệm"
P12_PASSWORD = "mat-khau-chung-thu-79001"


@dataclass
class TestCertificate:
    p12_path: Path
    password: str
    cert_pem_path: Path  # what a verifier trusts
    subject: str  # RFC 4514 form, as the signer reports it


def make_p12(directory: Path, *, name: str = "hospital", key_type: str = "rsa",
             valid_from: datetime | None = None, valid_to: datetime | None = None,
             password: str = P12_PASSWORD) -> TestCertificate:
    now = datetime.now(timezone.utc)
    valid_from = valid_from or now - timedelta(days=365)  # also valid at the tests' FixedClock
    valid_to = valid_to or now + timedelta(days=365)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if key_type == "rsa" \
        else ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, HOSPITAL_NAME),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{HOSPITAL_NAME} 79001"),
    ])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from).not_valid_after(valid_to)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    p12 = pkcs12.serialize_key_and_certificates(
        b"hospital", key, cert, None, serialization.BestAvailableEncryption(password.encode()))
    p12_path = directory / f"{name}.p12"
    p12_path.write_bytes(p12)
    pem_path = directory / f"{name}.pem"
    pem_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return TestCertificate(p12_path, password, pem_path, subject.rfc4514_string())


def xmlsec1_verify(document: bytes, trusted: TestCertificate, workdir: Path) -> subprocess.CompletedProcess:
    """Verify an enveloped XML-DSig signature with xmlsec1 (libxmlsec1, not signxml), trusting
    only the given certificate."""
    path = workdir / "to-verify.xml"
    path.write_bytes(document)
    return subprocess.run(["xmlsec1", "--verify", "--trusted-pem", str(trusted.cert_pem_path), str(path)],
                          capture_output=True, text=True, timeout=30)
