"""Signed, unguessable tokens. A ticket id alone reveals nothing; its track token proves the QR."""
import base64
import hashlib
import hmac
import secrets


def new_id() -> str:
    """Opaque identifier: 96 random bits, URL-safe, no ordering or count leaks."""
    return secrets.token_urlsafe(12)


def new_secret_token() -> str:
    return secrets.token_urlsafe(32)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class TokenSigner:
    def __init__(self, secret: bytes):
        if len(secret) < 16:
            raise ValueError("signing secret too short")
        self._secret = secret

    def sign(self, purpose: str, subject: str) -> str:
        mac = hmac.new(self._secret, f"{purpose}:{subject}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:18]).decode().rstrip("=")

    def verify(self, purpose: str, subject: str, token: str | None) -> bool:
        if not token:
            return False
        return hmac.compare_digest(self.sign(purpose, subject), token)

    def track_token(self, ticket_id: str) -> str:
        return self.sign("track", ticket_id)
