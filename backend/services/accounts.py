"""Patient phone accounts: sign-in by SMS code, links to patient records (self and family, with
consent), and what an account may follow today (tickets, invoices).

What an account can see is always derived from its active links, never from an id it sends: ids of
other people's tickets, invoices or appointments answer "not found", the same as ids that do not exist.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..domain import actors
from ..domain import invoices as inv_rules
from ..domain import otp as otp_rules
from ..domain.appointments import AppointmentPolicy
from ..domain.assurance import Assurance, may_share
from ..domain.bhyt_check import CheckStatus
from ..domain.errors import DomainError
from ..domain.hospital_time import hospital_day
from ..domain.otp import OtpPolicy, PhoneHistory, Verdict, mask_phone
from ..domain.tokens import new_id, new_secret_token, sha256_hex
from .. import messages
from .context import Deps
from .identification import IdentifyRequest, identify, read_identify_token
from .ports.notify import Notifier, NotifyUnavailable, SmsMessage
from .ports.uow import AlreadyExists, UnitOfWork
from .tickets import describe

log = logging.getLogger("tiepdon.accounts")

TOKEN_PREFIX = "pa_"  # tells an account token from a kiosk device token at a glance
SHARE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by elderly people
SHARE_CODE_LENGTH = 8
SHARE_TTL = {"self": timedelta(minutes=15), "family": timedelta(hours=24)}
LINK_CONSENT_VERSION = "2026-11"


@dataclass
class MobileContext:
    """What bootstrap builds for the mobile backend and puts in deps.mobile."""

    notifier: Notifier | None = None
    otp: OtpPolicy = field(default_factory=OtpPolicy)
    appointments: AppointmentPolicy = field(default_factory=AppointmentPolicy)
    # SMS_OTP_TEMPLATE: the operator's text registered with the carrier, sent as is in every language.
    # None: the catalog's "sms.otp" in the patient's language.
    otp_template: str | None = None
    qr: Any = None  # QrRenderer for appointment QR images
    outbox: Any = None  # DevSmsSink when no gateway is configured (demo): the admin outbox reads it


def mobile_of(deps: Deps) -> MobileContext:
    ctx = deps.mobile
    if ctx is None:
        ctx = deps.mobile = MobileContext()
    return ctx


@dataclass(frozen=True)
class Account:
    id: str
    phone_masked: str
    notifications: bool
    language: str
    created_at: datetime


def _account(row) -> Account:
    return Account(row.id, row.phone_masked, bool(row.notifications), row.language, row.created_at)


def _phone_hash(deps: Deps, phone: str) -> str:
    return deps.pii.lookup_hash("phone", phone)


def _account_by_phone(uow: UnitOfWork, deps: Deps, phone: str):
    """During a key rotation an account may still carry the old key's hash."""
    for phone_hash in deps.pii.lookup_hashes("phone", phone):
        account = uow.accounts.by_phone_hash(phone_hash)
        if account is not None:
            return account
    return None


def _code_hash(deps: Deps, challenge_id: str, code: str) -> str:
    # Keyed with the server secret: a copy of the database does not let anyone try the million codes.
    return deps.signer.sign("otp", f"{challenge_id}:{code}")


def _history(uow: UnitOfWork, phone_hash: str, policy: OtpPolicy, now: datetime) -> PhoneHistory:
    sends, last_sent, _, _ = uow.otp.history(phone_hash, now - timedelta(hours=1))
    _, _, failures, last_failure = uow.otp.history(phone_hash, now - policy.lock_window)
    return PhoneHistory(sends, last_sent, int(failures or 0), last_failure)


# -- sign-in by SMS code ----------------------------------------------------------------------


def request_otp(deps: Deps, raw_phone: str, lang: str | None = None) -> dict:
    """Send a sign-in code. The SMS is in ``lang`` if the app says, else in the language of the
    phone's account if it has one, else Vietnamese."""
    phone = otp_rules.normalize_phone(raw_phone)
    ctx = mobile_of(deps)
    policy = ctx.otp
    if ctx.notifier is None:
        raise DomainError("SMS_UNAVAILABLE")
    phone_hash = _phone_hash(deps, phone)
    now = deps.clock()
    code = otp_rules.new_code()
    challenge_id = new_id()
    with deps.uow.write() as uow:
        refusal = otp_rules.send_refusal(_history(uow, phone_hash, policy, now), policy, now)
        if refusal is not None:
            reason, retry_after = refusal
            log.info("otp refused to=%s reason=%s", mask_phone(phone), reason)
            raise DomainError(reason, retry_after_s=retry_after)
        if lang not in messages.LANGUAGES:
            account = _account_by_phone(uow, deps, phone)
            lang = account.language if account is not None else "vi"
        uow.otp.supersede(phone_hash, now)
        uow.otp.add(id=challenge_id, phone_hash=phone_hash, code_hash=_code_hash(deps, challenge_id, code),
                    created_at=now, expires_at=now + policy.ttl, attempts=0)
        uow.commit()
    minutes = max(1, int(policy.ttl.total_seconds() // 60))
    text = ctx.otp_template.format(code=code, minutes=minutes) if ctx.otp_template \
        else messages.text("sms.otp", lang, code=code, minutes=minutes)
    # Sent after the commit and outside the write gate: a slow gateway must not hold up the queue.
    try:
        ctx.notifier.send_sms(SmsMessage(to=phone, text=text, kind="otp", ref=challenge_id))
    except NotifyUnavailable as exc:
        log.warning("otp sms failed to=%s reason=%s", mask_phone(phone), exc.reason)
        with deps.uow.write() as uow:
            uow.otp.consume(challenge_id, deps.clock())  # a code nobody received must not stay live
            uow.commit()
        raise DomainError("SMS_UNAVAILABLE") from None
    log.info("otp sent to=%s", mask_phone(phone))
    return {"phone_masked": mask_phone(phone), "expires_in_s": int(policy.ttl.total_seconds()),
            "resend_after_s": int(policy.resend_after.total_seconds())}


def verify_otp(deps: Deps, raw_phone: str, code: str, lang: str | None = None) -> dict:
    """Sign in; the first sign-in creates the account, in ``lang`` (default Vietnamese)."""
    phone = otp_rules.normalize_phone(raw_phone)
    policy = mobile_of(deps).otp
    phone_hash = _phone_hash(deps, phone)
    now = deps.clock()
    with deps.uow.write() as uow:
        locked = otp_rules.phone_lock_until(_history(uow, phone_hash, policy, now), policy, now)
        if locked is not None:
            raise DomainError("OTP_LOCKED", retry_after_s=otp_rules.whole_seconds(locked - now))
        row = uow.otp.latest(phone_hash)
        if row is None:
            raise DomainError("OTP_INVALID")
        matches = secrets.compare_digest(_code_hash(deps, row.id, code), row.code_hash)
        verdict = otp_rules.judge(otp_rules.Challenge(row.expires_at, row.attempts, row.consumed_at is not None),
                                  matches, policy, now)
        if verdict is Verdict.WRONG:
            uow.otp.record_failure(row.id, row.attempts, now)
            uow.commit()
            log.info("otp wrong to=%s attempt=%d", mask_phone(phone), row.attempts + 1)
            raise DomainError("OTP_INVALID", attempts_left=max(0, policy.max_attempts - row.attempts - 1))
        if verdict is not Verdict.ACCEPT:
            log.info("otp refused to=%s verdict=%s", mask_phone(phone), verdict.value)
            extra = {"retry_after_s": int(policy.resend_after.total_seconds())} \
                if verdict is Verdict.EXHAUSTED else {}
            raise DomainError(otp_rules.VERDICT_CODES[verdict], **extra)
        if not uow.otp.consume(row.id, now):
            raise DomainError("OTP_INVALID")  # the same code verified a moment ago, in another request
        account = _account_by_phone(uow, deps, phone)
        if account is None:
            uow.accounts.add(id=new_id(), phone_hash=phone_hash, phone_enc=deps.pii.encrypt({"phone": phone}),
                             phone_masked=mask_phone(phone), notifications=True,
                             language=lang if lang in messages.LANGUAGES else "vi",
                             created_at=now, last_login_at=now)
            account = uow.accounts.by_phone_hash(phone_hash)
        else:
            uow.accounts.logged_in(account.id, now)
        token = TOKEN_PREFIX + new_secret_token()
        expires = now + policy.session_ttl
        uow.accounts.add_session(sha256_hex(token), account.id, now, expires)
        uow.audit.add(now, actors.account(account.id), "account.login")
        uow.commit()
    log.info("otp accepted to=%s", mask_phone(phone))
    return {"token": token, "expires_at": expires, "account": _account(account)}


def account_for_token(deps: Deps, token: str) -> Account | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    with deps.uow.read() as uow:
        row = uow.accounts.by_session(sha256_hex(token), deps.clock())
    return _account(row) if row else None


def logout(deps: Deps, token: str) -> None:
    with deps.uow.write() as uow:
        uow.accounts.revoke_session(sha256_hex(token), deps.clock())
        uow.commit()


def update_preferences(deps: Deps, account: Account, notifications: bool | None = None,
                       language: str | None = None) -> Account:
    values = {}
    if notifications is not None:
        values["notifications"] = bool(notifications)
    if language is not None:
        values["language"] = language
    with deps.uow.write() as uow:
        if values:
            uow.accounts.set_preferences(account.id, values.get("notifications"), values.get("language"))
            uow.audit.add(deps.clock(), actors.account(account.id), "account.preferences",
                          detail=",".join(f"{k}={v}" for k, v in sorted(values.items())))
        row = uow.accounts.get(account.id)
        uow.commit()
    return _account(row)


def purge_expired(deps: Deps, keep: timedelta = timedelta(days=1)) -> dict:
    """Codes, share codes and sessions are kept a day past their end (enough to explain a lock-out),
    then deleted: nothing about a phone stays longer than it is useful."""
    before = deps.clock() - keep
    with deps.uow.write() as uow:
        counts = {"otp": uow.otp.purge(before), "share_codes": uow.share_codes.purge(before),
                  "sessions": uow.accounts.purge_sessions(before)}
        uow.commit()
    return counts


def phone_of(deps: Deps, phone_enc: str) -> str:
    return deps.pii.decrypt(phone_enc)["phone"]


# -- links to patient records -----------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    id: str
    patient_id: str
    relation: str
    name_masked: str
    created_at: datetime


def link_view(row) -> Link:
    return Link(row.id, row.patient_id, row.relation, row.name_masked, row.created_at)


def links(deps: Deps, account: Account) -> list[Link]:
    with deps.uow.read() as uow:
        return [link_view(r) for r in uow.links.for_account(account.id)]


def link_of(uow: UnitOfWork, account: Account, link_id: str) -> Link:
    row = uow.links.get(link_id)
    if row is None or row.account_id != account.id or not row.active:
        raise DomainError("PATIENT_LINK_NOT_FOUND")
    return link_view(row)


def _add_link(uow: UnitOfWork, account: Account, patient_id: str, relation: str, channel: str, version: str,
              now: datetime) -> str:
    existing = uow.links.active(account.id, patient_id)
    if existing is not None and (existing.relation == relation or relation == "family"):
        return existing.id  # linking again is not an error: the app may retry
    if relation == "self" and any(r.relation == "self" for r in uow.links.for_account(account.id)):
        raise DomainError("SELF_ALREADY_LINKED")
    if existing is not None:
        uow.links.revoke(existing.id, now, actors.account(account.id))  # a relative's record becomes mine
    link_id = new_id()
    try:
        uow.links.add(id=link_id, account_id=account.id, patient_id=patient_id, relation=relation,
                      consent_channel=channel, consent_version=version, created_at=now)
    except AlreadyExists:
        raise DomainError("PATIENT_LINKED_ELSEWHERE") from None
    uow.audit.add(now, actors.account(account.id), f"link.{relation}", patient_id)
    return link_id


def link_self(deps: Deps, account: Account, scan: str | None, manual: dict | None,
              consent_version: str) -> Link:
    """The account holder proves who they are with their card, as at a kiosk; BHXH must confirm the
    number, name and birth date belong together, because a phone has no card in hand to look at."""
    channel = actors.account(account.id)
    result = identify(deps, IdentifyRequest(scan=scan, manual=manual, consent_version=consent_version,
                                            channel=channel))
    status = result.check.status
    if status is CheckStatus.PENDING:
        raise DomainError("LINK_CHECK_UNAVAILABLE")
    confirmed = result.assurance.at_least(Assurance.CONFIRMED)  # the same person BHXH knows
    if status not in (CheckStatus.OK, CheckStatus.FLAGGED) or not confirmed:
        raise DomainError("LINK_NOT_VERIFIED")
    patient_id = result.patient_id
    now = deps.clock()
    with deps.uow.write() as uow:
        holder = uow.links.self_link(patient_id)
        if holder is not None and holder.account_id != account.id:
            # Someone else's phone already holds this record: only a kiosk, card in hand, moves it.
            raise DomainError("PATIENT_LINKED_ELSEWHERE")
        link_id = _add_link(uow, account, patient_id, "self", channel, consent_version, now)
        uow.patients.add_consent(now, patient_id, channel, "account_link", consent_version)
        link = link_of(uow, account, link_id)
        uow.commit()
    return link


def unlink(deps: Deps, account: Account, link_id: str) -> None:
    with deps.uow.write() as uow:
        link = link_of(uow, account, link_id)
        uow.links.revoke(link.id, deps.clock(), actors.account(account.id))
        uow.audit.add(deps.clock(), actors.account(account.id), "link.revoke", link.patient_id)
        uow.commit()


def _new_share_code() -> str:
    return "".join(secrets.choice(SHARE_ALPHABET) for _ in range(SHARE_CODE_LENGTH))


def _clean_share_code(text: str) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def _issue_share_code(uow: UnitOfWork, deps: Deps, patient_id: str, relation: str, created_by: str,
                      consent_version: str, now: datetime) -> tuple[str, datetime]:
    code = _new_share_code()
    expires = now + SHARE_TTL[relation]
    uow.share_codes.add(code_hash=deps.signer.sign("share", code), patient_id=patient_id, relation=relation,
                        created_by=created_by, consent_version=consent_version, created_at=now,
                        expires_at=expires)
    purpose = "family_share" if relation == "family" else "account_link"
    uow.patients.add_consent(now, patient_id, created_by, purpose, consent_version)
    uow.audit.add(now, created_by, f"share_code.{relation}", patient_id)
    return f"{code[:4]}-{code[4:]}", expires


def share_code_for_family(deps: Deps, account: Account, consent_version: str) -> tuple[str, datetime]:
    """The account holder lets a relative follow their tickets: the code records their consent."""
    now = deps.clock()
    with deps.uow.write() as uow:
        mine = [r for r in uow.links.for_account(account.id) if r.relation == "self"]
        if not mine:
            raise DomainError("PATIENT_NOT_LINKED")
        code = _issue_share_code(uow, deps, mine[0].patient_id, "family", actors.account(account.id),
                                 consent_version, now)
        uow.commit()
    return code


def share_code_at_kiosk(deps: Deps, device_id: str, identify_token: str, relation: str,
                        consent_version: str) -> tuple[str, datetime]:
    """At a kiosk, card in hand: link my phone ("self") or let a relative follow me ("family")."""
    identity = read_identify_token(deps, identify_token)
    if not may_share(identity.assurance):
        raise DomainError("IDENTITY_NOT_VERIFIED")
    now = deps.clock()
    with deps.uow.write() as uow:
        code = _issue_share_code(uow, deps, identity.patient_id, relation, actors.device(device_id),
                                 consent_version, now)
        uow.commit()
    return code


def redeem_share_code(deps: Deps, account: Account, code_text: str) -> Link:
    code = _clean_share_code(code_text)
    if len(code) != SHARE_CODE_LENGTH:
        raise DomainError("SHARE_CODE_INVALID")
    code_hash = deps.signer.sign("share", code)
    now = deps.clock()
    with deps.uow.write() as uow:
        row = uow.share_codes.get(code_hash)
        if row is None or not uow.share_codes.use(code_hash, account.id, now):
            raise DomainError("SHARE_CODE_INVALID")
        if row.relation == "self":
            holder = uow.links.self_link(row.patient_id)
            if holder is not None and holder.account_id != account.id:
                # Shown at a kiosk after a card scan: the card holder moves their record to this phone.
                uow.links.revoke(holder.id, now, row.created_by)
        link_id = _add_link(uow, account, row.patient_id, row.relation, row.created_by, row.consent_version,
                            now)
        link = link_of(uow, account, link_id)
        uow.commit()
    return link


def followers(deps: Deps, account: Account) -> list[dict]:
    """Who follows the account holder's own record (each with the holder's consent)."""
    with deps.uow.read() as uow:
        mine = [r for r in uow.links.for_account(account.id) if r.relation == "self"]
        if not mine:
            return []
        return [{"id": r.id, "phone_masked": r.phone_masked, "since": r.created_at}
                for r in uow.links.followers(mine[0].patient_id)]


def revoke_follower(deps: Deps, account: Account, link_id: str) -> None:
    """Consent withdrawn (Nghị định 13/2023, Art. 12): the relative stops seeing anything at once."""
    now = deps.clock()
    with deps.uow.write() as uow:
        mine = [r for r in uow.links.for_account(account.id) if r.relation == "self"]
        row = uow.links.get(link_id)
        if (not mine or row is None or not row.active or row.relation != "family"
                or row.patient_id != mine[0].patient_id):
            raise DomainError("PATIENT_LINK_NOT_FOUND")
        uow.links.revoke(link_id, now, actors.account(account.id))
        uow.patients.add_consent(now, row.patient_id, actors.account(account.id), "family_share_withdrawn",
                                 LINK_CONSENT_VERSION)
        uow.audit.add(now, actors.account(account.id), "link.follower_revoked", row.patient_id)
        uow.commit()


# -- following today --------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowedTicket:
    link: Link
    view: Any  # tickets.TicketView


def my_tickets(deps: Deps, account: Account) -> list[FollowedTicket]:
    today = hospital_day(deps.clock())
    with deps.uow.read() as uow:
        by_patient = {r.patient_id: link_view(r) for r in uow.links.for_account(account.id)}
        return [FollowedTicket(by_patient[patient_id], describe(uow, deps, ticket))
                for patient_id, ticket in uow.follow.tickets_for_patients(list(by_patient), today)]


@dataclass(frozen=True)
class FollowedInvoice:
    link: Link
    invoice: Any  # domain.invoices.Invoice as of now
    track_token: str | None  # a ticket's token of the same visit: the invoice routes accept it


def my_invoices(deps: Deps, account: Account) -> list[FollowedInvoice]:
    now = deps.clock()
    today = hospital_day(now)
    with deps.uow.read() as uow:
        by_patient = {r.patient_id: link_view(r) for r in uow.links.for_account(account.id)}
        tickets = uow.follow.tickets_for_patients(list(by_patient), today)
        visit_owner = {t.visit_id: pid for pid, t in tickets}
        visit_ticket = {}
        for _, t in tickets:
            visit_ticket.setdefault(t.visit_id, t.id)
        out = []
        for invoice in uow.follow.invoices_for_visits(list(visit_owner)):
            ticket_id = invoice.ticket_id or visit_ticket.get(invoice.visit_id)
            out.append(FollowedInvoice(by_patient[visit_owner[invoice.visit_id]], inv_rules.as_of(invoice, now),
                                       deps.signer.track_token(ticket_id) if ticket_id else None))
        return out
