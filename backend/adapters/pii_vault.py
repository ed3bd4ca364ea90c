"""Fernet encryption and HMAC look-up hashes, both derived from TIEPDON_PII_KEY with HKDF.

During a key rotation (README "Keys") the vault also holds the previous key(s), TIEPDON_PII_KEY_OLD:
it encrypts and hashes with the new key only, and reads (decrypts, finds by hash) with any of them,
so the server serves every record while `tiepdon rotate-pii-key` rewrites them.
"""
import base64
import hashlib
import hmac
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class MissingPiiKey(RuntimeError):
    pass


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tiepdon-pii-v1", info=info).derive(master)


def _check(master_key: str | None, name: str = "TIEPDON_PII_KEY") -> str:
    if not master_key or len(master_key) < 32:
        raise MissingPiiKey(
            f"Thiếu {name} (ít nhất 32 ký tự) để mã hoá dữ liệu người bệnh.\n"
            f"{name} (at least 32 characters) must be set to encrypt patient data."
        )
    return master_key


def old_keys_from(text: str | None) -> list[str]:
    """TIEPDON_PII_KEY_OLD: one key, or several separated by commas."""
    return [_check(k.strip(), "TIEPDON_PII_KEY_OLD") for k in (text or "").split(",") if k.strip()]


class FernetPiiVault:
    def __init__(self, master_key: str | None, old_keys: list[str] | tuple = ()):
        keys = [_check(master_key)] + [k for k in old_keys if k != master_key]
        fernets = [Fernet(base64.urlsafe_b64encode(_derive(k.encode(), b"encrypt"))) for k in keys]
        self._fernet = fernets[0]
        self._readers = MultiFernet(fernets)  # the new key first: encrypts; any of them decrypts
        self._mac_keys = [_derive(k.encode(), b"lookup") for k in keys]

    @property
    def rotating(self) -> bool:
        return len(self._mac_keys) > 1

    def _mac(self, key: bytes, kind: str, identifier: str) -> str:
        return hmac.new(key, f"{kind}:{identifier}".encode(), hashlib.sha256).hexdigest()

    def lookup_hash(self, kind: str, identifier: str) -> str:
        """The hash stored from now on (the new key's)."""
        return self._mac(self._mac_keys[0], kind, identifier)

    def lookup_hashes(self, kind: str, identifier: str) -> list[str]:
        """Every hash a stored row may still carry: the new key's first, then the old keys'."""
        return [self._mac(key, kind, identifier) for key in self._mac_keys]

    def encrypt(self, record: dict) -> str:
        return self._fernet.encrypt(json.dumps(record, ensure_ascii=False).encode()).decode()

    def decrypt(self, token: str) -> dict:
        try:
            return json.loads(self._readers.decrypt(token.encode()))
        except InvalidToken:
            raise ValueError("patient record cannot be decrypted with this key") from None

    def is_current(self, token: str) -> bool:
        """Sealed with the new key already."""
        try:
            self._fernet.decrypt(token.encode())
            return True
        except InvalidToken:
            return False

    def reseal(self, token: str) -> str:
        """The same record under the new key."""
        try:
            return self._readers.rotate(token.encode()).decode()
        except InvalidToken:
            raise ValueError("record cannot be decrypted with any configured key") from None
