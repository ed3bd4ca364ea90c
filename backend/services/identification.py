"""Who is at the kiosk: parse the card, find or create the patient, ask BHXH, hand out a token.

The BHXH call happens outside any database transaction and with short timeouts; when the gateway
does not answer, the visit goes ahead with the check pending and a background pass asks again.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..domain.assurance import (Assurance, assess, birth_date_verified, changed_fields, may_change_record,
                                may_see_open_visit)
from ..domain.bhyt_check import BhytCheckResult, CheckStatus, gateway_unavailable
from ..domain.cards import CardKind, CccdCard, parse_manual, parse_scan
from ..domain.cards.dates import BirthDate
from ..domain.errors import DomainError
from ..domain.hospital_time import HOSPITAL_TZ, hospital_day
from ..domain.masking import mask_name
from ..domain.cards.dates import age_on
from ..domain.priority import PriorityClass, priority_from_age, priority_from_years
from ..domain.tickets import Ticket
from ..domain.tokens import SealedTokenError, new_id, seal, unseal
from .context import Deps
from .ports.bhxh import BhxhUnavailable
from .ports.uow import Record, UnitOfWork

IDENTIFY_TTL = timedelta(minutes=10)
CONSENT_TEXT_VERSION = "2026-11"
RECHECK_BACKOFF_S = (30, 60, 120, 300, 600, 1800)


@dataclass(frozen=True)
class IdentifyRequest:
    scan: str | None
    manual: dict | None
    consent_version: str
    channel: str  # device:<id>, staff:<id> or account:<id>
    # Read where a person can see the card (kiosk scanner, staff desk). A phone camera may be
    # reading a photo: its QR text counts no more than typed text.
    card_in_hand: bool = False


@dataclass(frozen=True)
class PatientIdentity:
    patient_id: str
    check_id: str
    priority: PriorityClass | None
    assurance: Assurance = Assurance.TYPED


DEFAULT_MANUAL_LOOKUP_LIMIT = (20, 3600)  # per channel: count, window in seconds


def _parse(deps: Deps, req: IdentifyRequest, today):
    if req.scan is not None:
        result = parse_scan(req.scan, today)
    else:
        m = req.manual or {}
        result = parse_manual(m.get("id_type", ""), m.get("number", ""), m.get("name", ""),
                              m.get("dob", ""), today)
    if not result.ok:
        raise DomainError(result.error_code.value)
    return result.card


def _record(card) -> dict:
    """What we keep about a patient: enough for the HIS and BHXH, nothing more (no address)."""
    dob: BirthDate = card.dob
    rec = {"name": card.name, "dob_year": dob.year, "dob_month": dob.month, "dob_day": dob.day,
           "gender": card.gender.value}
    if isinstance(card, CccdCard):
        rec["cccd"] = card.number
    else:
        rec.update(bhyt_code=card.card_code, ma_dkbd=card.ma_dkbd,
                   valid_from=card.valid_from.isoformat() if card.valid_from else None,
                   valid_to=card.valid_to.isoformat() if card.valid_to else None)
    return rec


def card_identifiers(card) -> list[tuple[str, str]]:
    """(kind, number) a patient is found by: CCCD, or the BHYT code and the BHXH number."""
    if isinstance(card, CccdCard):
        return [("cccd", card.number)]
    # The lifelong BHXH number survives a card renewal (new 15-character code, same last 10 digits).
    return [("bhyt", card.card_code), ("bhxh", card.bhxh_number)]


def _lookup_keys(deps: Deps, card) -> list[tuple[str, str]]:
    """(hash, kind) stored for this card: the current key's."""
    return [(deps.pii.lookup_hash(kind, number), kind) for kind, number in card_identifiers(card)]


def _find_hashes(deps: Deps, card) -> list[str]:
    """Every hash that finds this card's patient: during a key rotation, the old keys' too."""
    return [h for kind, number in card_identifiers(card) for h in deps.pii.lookup_hashes(kind, number)]


def _ask_bhxh(deps: Deps, card) -> BhytCheckResult:
    checker = deps.card_checker
    if checker is None:
        return gateway_unavailable()
    try:
        return checker.check_card(card.identifier, card.name, card.dob.to_bhxh_text())
    except BhxhUnavailable:
        return gateway_unavailable()


def _bounded(req: IdentifyRequest) -> bool:
    # Staff are named and audited; kiosks and phones are anyone who walks up.
    return not req.channel.startswith("staff:")


def _window_start(now: datetime, window_s: int) -> datetime:
    """Fixed windows on the hospital's clock: a day window starts at local midnight."""
    offset = now.astimezone(HOSPITAL_TZ).utcoffset().total_seconds()
    local = now.timestamp() + offset
    return datetime.fromtimestamp(local // window_s * window_s - offset, timezone.utc)


def _take_manual_lookup(deps: Deps, req: IdentifyRequest, hashes: list[str], now: datetime) -> None:
    """A typed number we do not know yet costs a BHXH call and creates a record: bounded per channel,
    refused before either happens."""
    with deps.uow.read() as uow:
        if uow.patients.find_by_hashes(hashes) is not None:
            return
    count, window_s = deps.manual_lookup_limit or DEFAULT_MANUAL_LOOKUP_LIMIT
    start = _window_start(now, window_s)
    with deps.uow.write() as uow:
        taken = uow.manual_lookups.take(req.channel, start, count)
        uow.commit()
    if not taken:
        retry = int((start + timedelta(seconds=window_s) - now).total_seconds()) or 1
        raise DomainError("MANUAL_LOOKUP_LIMIT", retry_after_s=retry)


def _assess(req: IdentifyRequest, card, check: BhytCheckResult) -> Assurance:
    return assess(scanned=req.scan is not None, card_in_hand=req.card_in_hand, typed_name=card.name,
                  typed_dob=card.dob.to_bhxh_text(), check=check)


def _store_patient(uow: UnitOfWork, deps: Deps, req: IdentifyRequest, card, keys, level: Assurance, now) -> str:
    """Find or create the patient. Only a card in hand or a BHXH-confirmed answer changes what is
    stored (and says which fields, never their values, in the audit log)."""
    record = _record(card)
    patient_id = uow.patients.find_by_hashes(_find_hashes(deps, card))
    if patient_id is None:
        patient_id = new_id()
        uow.patients.add(patient_id, mask_name(card.name), deps.pii.encrypt(record), now)
        uow.audit.add(now, req.channel, "patient.create", patient_id, f"assurance={level.value}")
    elif may_change_record(level):
        stored = deps.pii.decrypt(uow.patients.get(patient_id).data_enc)
        changed = changed_fields(stored, record)
        if changed:
            uow.patients.update(patient_id, mask_name(card.name), deps.pii.encrypt({**stored, **record}), now)
            uow.audit.add(now, req.channel, "patient.update", patient_id,
                          f"fields={','.join(changed)} assurance={level.value}")
    else:
        return patient_id  # a typed number alone adds nothing to someone's record, not even a link
    for lookup_hash, kind in keys:
        uow.patients.link(lookup_hash, patient_id, kind)
    return patient_id


@dataclass(frozen=True)
class Identification:
    """Who the card says the patient is, how sure we are, and today's open visit where the level
    may see it (presenters mask it: never the full number or name)."""

    patient_id: str
    card: object  # domain.cards: CccdCard | BhytCard
    check: BhytCheckResult
    assurance: Assurance
    age: int
    priority: PriorityClass | None
    open_visit: Record | None  # the visit (its id), or None
    open_tickets: list[Ticket]
    identify_token: str
    expires_at: datetime


def identify(deps: Deps, req: IdentifyRequest) -> Identification:
    now = deps.clock()
    today = hospital_day(now)
    card = _parse(deps, req, today)
    keys = _lookup_keys(deps, card)
    if _bounded(req) and not (req.scan is not None and req.card_in_hand):
        _take_manual_lookup(deps, req, _find_hashes(deps, card), now)
    check = _ask_bhxh(deps, card)
    level = _assess(req, card, check)
    check_id = new_id()
    with deps.uow.write() as uow:
        patient_id = _store_patient(uow, deps, req, card, keys, level, now)
        uow.patients.add_consent(now, patient_id, req.channel, "kiosk_checkin", req.consent_version)
        pending = check.status is CheckStatus.PENDING
        uow.card_checks.add(
            id=check_id, patient_id=patient_id, visit_id=None, card_kind=card.kind.value,
            status=check.status.value, code=check.code, outcome=check.outcome.value,
            staff_flag=check.staff_flag, alert_it=check.alert_it, attempts=1,
            next_attempt_at=now + timedelta(seconds=RECHECK_BACKOFF_S[0]) if pending else None,
            request_enc=deps.pii.encrypt({"code": card.identifier, "name": card.name,
                                          "dob": card.dob.to_bhxh_text()}) if pending else None,
            created_at=now, checked_at=None if pending else now,
        )
        # A lower level is not told what earlier visits stored, not even that one is open today.
        open_visit = uow.visits.find_open(patient_id, today) if may_see_open_visit(level) else None
        open_tickets = uow.tickets.for_visit(open_visit.id) if open_visit else []
        uow.commit()
    if check.alert_it:
        deps.publisher.alert({"type": "bhxh_configuration", "code": check.code,
                              "outcome": check.outcome.value})
    priority = _verified_age_priority(card, level, today)
    expires = now + IDENTIFY_TTL
    token = seal(deps.signer, "identify",
                 {"p": patient_id, "c": check_id, "pr": priority.value if priority else None,
                  "a": level.value},
                 expires.timestamp())
    return Identification(patient_id, card, check, level, age_on(card.dob, today), priority, open_visit,
                          open_tickets, token, expires)


def _verified_age_priority(card, level: Assurance, today) -> PriorityClass | None:
    """Age-based priority needs a verified birth date: a scanned card, or a typed number whose name
    and birth date BHXH confirmed. A birth date only typed at the kiosk is a claim, not a proof."""
    if not birth_date_verified(level):
        return None
    birth = card.dob.as_date()
    # Some BHYT cards know only the year of birth: judge the age by the year then.
    return priority_from_age(birth, today) if birth else priority_from_years(age_on(card.dob, today))


def read_identify_token(deps: Deps, token: str) -> PatientIdentity:
    try:
        payload = unseal(deps.signer, "identify", token, deps.clock().timestamp())
    except (SealedTokenError, ValueError):
        raise DomainError("IDENTIFY_TOKEN_INVALID") from None
    pr = payload.get("pr")
    return PatientIdentity(payload["p"], payload["c"], PriorityClass(pr) if pr else None,
                           Assurance.parse(payload.get("a")))


def attach_visit(uow: UnitOfWork, deps: Deps, identity: PatientIdentity, service_code: str, coverage: str,
                 now: datetime) -> str:
    """Inside the ticket transaction: reuse today's open visit or open one, and queue the HIS
    registration of a new visit in the same commit (the outbox), so it can never be lost."""
    check = uow.card_checks.get(identity.check_id)
    if check is None or check.patient_id != identity.patient_id:
        raise DomainError("IDENTIFY_TOKEN_INVALID")
    if coverage == "bhyt" and check.status == CheckStatus.REFUSED.value:
        raise DomainError("BHYT_REFUSED")
    day = hospital_day(now)
    visit = uow.visits.find_open(identity.patient_id, day)
    if visit is not None and not may_see_open_visit(identity.assurance):
        # Neither joined nor named: which ticket is held, or where, is not a typed number's business.
        raise DomainError("VISIT_OPEN_SEE_RECEPTION")
    if visit is not None:
        for t in uow.tickets.for_visit(visit.id):
            if t.service_code == service_code and t.status.value in ("waiting", "called", "serving"):
                raise DomainError("VISIT_ALREADY_OPEN", ticket_id=t.id)
        return visit.id
    visit_id = new_id()
    uow.visits.add(visit_id, identity.patient_id, day, now)
    uow.card_checks.attach_visit(check.id, visit_id)
    uow.his_outbox.enqueue(new_id(), visit_id, now)
    return visit_id


def prepare_card_checker(deps: Deps) -> None:
    """Background pass: let the BHXH adapter get ready (a token) before a patient needs it."""
    prepare = getattr(deps.card_checker, "prepare", None)
    if prepare is not None:
        prepare()


def recheck_pending(deps: Deps, limit: int = 20) -> int:
    """Background pass: ask BHXH again about checks that got no answer. Returns how many were decided."""
    now = deps.clock()
    with deps.uow.read() as uow:
        due = uow.card_checks.due(now, limit)
    decided = 0
    for row in due:
        request = deps.pii.decrypt(row.request_enc)
        try:
            if deps.card_checker is None:
                raise BhxhUnavailable("connection")
            result = deps.card_checker.check_card(request["code"], request["name"], request["dob"])
        except BhxhUnavailable:
            result = None
        with deps.uow.write() as uow:
            if result is None or result.status is CheckStatus.PENDING:
                delay = RECHECK_BACKOFF_S[min(row.attempts, len(RECHECK_BACKOFF_S) - 1)]
                uow.card_checks.retry_later(row.id, row.attempts, now + timedelta(seconds=delay))
            else:
                if uow.card_checks.decide(
                    row.id, row.attempts, status=result.status.value, code=result.code,
                    outcome=result.outcome.value, alert_it=result.alert_it, checked_at=now,
                    staff_flag=result.staff_flag or result.status is CheckStatus.REFUSED,
                ):
                    decided += 1
            uow.commit()
        if result is not None and result.status is not CheckStatus.PENDING and row.visit_id:
            deps.publisher.alert({"type": "bhyt_checked", "visit_id": row.visit_id,
                                  "status": result.status.value, "code": result.code})
    return decided


def flagged_today(deps: Deps) -> list[dict]:
    now = deps.clock()
    start = datetime.combine(hospital_day(now), datetime.min.time(), HOSPITAL_TZ)
    with deps.uow.read() as uow:
        rows = uow.card_checks.flagged_today(start)
        out = []
        for r in rows:
            patient = uow.patients.get(r.patient_id)
            tickets = uow.tickets.for_visit(r.visit_id)
            out.append({"visit_id": r.visit_id, "status": r.status, "code": r.code,
                        "outcome": r.outcome, "attempts": r.attempts,
                        "name_masked": patient.name_masked,
                        "tickets": [t.display_number for t in tickets]})
    return out


def bhxh_health(deps: Deps) -> dict:
    if deps.card_checker is None:
        return {"status": "degraded", "configured": False}
    with deps.uow.read() as uow:
        pending = len(uow.card_checks.due(deps.clock() + timedelta(days=1), 1000))
    return {"status": "ok" if pending < 20 else "degraded", "configured": True, "pending": pending}
