"""Who is calling: kiosk device token, staff session (+ CSRF on writes), patient track token."""
import secrets
from functools import wraps

from flask import current_app, g, request, session

from ..services import auth as auth_service
from ..services.accounts import account_for_token
from ..services.auth import StaffMember
from .problems import ProblemException

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def deps():
    return current_app.extensions["tiepdon"].deps


def settings():
    return current_app.extensions["tiepdon"].settings


def client_ip() -> str:
    """The client's address; behind a trusted proxy, the one it forwarded (client_address.py)."""
    return request.remote_addr or "unknown"


def limit(bucket: str, rate_setting: str, identity: str | None = None) -> None:
    """Counts this request against `bucket` for `identity` (default: the client's address), shared by
    every process when Redis is configured; over the limit → 429 RATE_LIMITED with Retry-After."""
    rate, burst = getattr(settings(), rate_setting)
    wait = current_app.extensions["tiepdon_limiter"].hit(bucket, identity or client_ip(), rate, burst)
    if wait is not None:
        raise ProblemException("RATE_LIMITED", headers={"Retry-After": str(wait)})


def bearer_device():
    token = _bearer_token()
    return auth_service.device_for_token(deps(), token) if token else None


def session_staff() -> StaffMember | None:
    return auth_service.staff_for_session(deps(), session.get("staff_id"), session.get("sv"))


def check_csrf() -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get("X-CSRF-Token", "")
    expected = session.get("csrf", "")
    # Bytes: compare_digest refuses a non-ASCII str, and a header may carry anything.
    if not expected or not secrets.compare_digest(sent.encode("utf-8", "replace"), expected.encode()):
        raise ProblemException("CSRF_FAILED")


def current_staff(roles: tuple[str, ...] | None = None) -> StaffMember:
    member = session_staff()
    if member is None:
        raise ProblemException("UNAUTHORIZED")
    check_csrf()
    if roles is not None and member.role not in roles:
        raise ProblemException("FORBIDDEN")
    return member


def staff_required(*roles: str):
    def wrap(fn):
        @wraps(fn)
        def inner(*args, **kwargs):
            g.staff = current_staff(roles or None)
            return fn(*args, **kwargs)

        return inner

    return wrap


def _bearer_required(lookup, bucket: str, rate_setting: str, attr: str):
    """A route for one kind of bearer token: refuse (and rate-limit the guessing), else remember
    who called on `g` and rate-limit them per identity."""

    def wrap(fn):
        @wraps(fn)
        def inner(*args, **kwargs):
            who = lookup()
            if who is None:
                limit("auth-fail", "rate_public")
                raise ProblemException("UNAUTHORIZED")
            limit(bucket, rate_setting, who.id)
            setattr(g, attr, who)
            return fn(*args, **kwargs)

        return inner

    return wrap


def device_required(fn):
    return _bearer_required(bearer_device, "kiosk", "rate_kiosk", "device")(fn)


def device_or_staff(staff_roles: tuple[str, ...] | None = None):
    """Kiosk bearer token first (no cookies, so no CSRF); otherwise a staff session (of one of
    `staff_roles`, when given)."""
    device = bearer_device()
    if device is not None:
        limit("kiosk", "rate_kiosk", device.id)
        return ("device", device)
    if request.headers.get("Authorization"):
        limit("auth-fail", "rate_public")
        raise ProblemException("UNAUTHORIZED")
    return ("staff", current_staff(staff_roles))


def new_csrf() -> str:
    token = secrets.token_urlsafe(24)
    session["csrf"] = token
    return token


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.startswith("Bearer ") else ""
    return token or None


def bearer_account():
    """A patient account token (phone OTP sign-in). Never a device token: the two live in different
    tables, and account tokens carry their own prefix."""
    token = _bearer_token()
    return account_for_token(deps(), token) if token else None


def patient_account_required(fn):
    return _bearer_required(bearer_account, "account", "rate_account", "account")(fn)
