"""Fernet encryption and HMAC look-up hashes, both derived from TIEPDON_PII_KEY with HKDF."""
import base64
import hashlib
import hmac
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class MissingPiiKey(RuntimeError):
    pass


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tiepdon-pii-v1", info=info).derive(master)


class FernetPiiVault:
    def __init__(self, master_key: str | None):
        if not master_key or len(master_key) < 32:
            raise MissingPiiKey(
                "Thiếu TIEPDON_PII_KEY (ít nhất 32 ký tự) để mã hoá dữ liệu người bệnh.\n"
                "TIEPDON_PII_KEY (at least 32 characters) must be set to encrypt patient data."
            )
        master = master_key.encode()
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(master, b"encrypt")))
        self._mac_key = _derive(master, b"lookup")

    def lookup_hash(self, kind: str, identifier: str) -> str:
        return hmac.new(self._mac_key, f"{kind}:{identifier}".encode(), hashlib.sha256).hexdigest()

    def encrypt(self, record: dict) -> str:
        return self._fernet.encrypt(json.dumps(record, ensure_ascii=False).encode()).decode()

    def decrypt(self, token: str) -> dict:
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise ValueError("patient record cannot be decrypted with this key") from None
