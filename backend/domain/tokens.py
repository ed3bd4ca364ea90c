"""Signed, unguessable tokens. A ticket id alone reveals nothing; its track token proves the QR."""
import base64
import hashlib
import hmac
import json
import secrets
from datetime import date, timedelta


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
        # bytes: compare_digest refuses non-ASCII str, and a token from a URL can be anything
        return hmac.compare_digest(self.sign(purpose, subject).encode(), token.encode("utf-8", "replace"))

    def track_token(self, ticket_id: str) -> str:
        return self.sign("track", ticket_id)


def track_token_expired(ticket_day: date, today: date, valid_days: int) -> bool:
    """A track token serves the visit and its receipts: through the ticket's hospital day and
    `valid_days` more. The lifetime is read from the ticket's day, not from the token, so every
    token ever printed keeps its format and gets the same lifetime."""
    return today > ticket_day + timedelta(days=valid_days)


class SealedTokenError(Exception):
    pass


def seal(signer: TokenSigner, purpose: str, payload: dict, expires_at: float) -> str:
    """A short-lived, tamper-proof token carrying opaque ids only (never personal data)."""
    body = base64.urlsafe_b64encode(
        json.dumps({**payload, "exp": int(expires_at)}, separators=(",", ":")).encode()
    ).decode().rstrip("=")
    return f"{body}.{signer.sign(purpose, body)}"


def unseal(signer: TokenSigner, purpose: str, token: str, now: float) -> dict:
    try:
        body, mac = token.split(".", 1)
    except (ValueError, AttributeError):
        raise SealedTokenError("malformed") from None
    if not signer.verify(purpose, body, mac):
        raise SealedTokenError("signature")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    if payload.get("exp", 0) < now:
        raise SealedTokenError("expired")
    return payload
