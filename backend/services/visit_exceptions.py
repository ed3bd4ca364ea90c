"""What reception does about a visit's exceptions: a BHYT check still pending (ask BHXH again now)
or decided but needing a person (staff looked at the card and papers: done). Both audited."""
from ..domain.bhyt_check import CheckStatus
from ..domain.errors import DomainError
from .context import Deps
from .identification import flagged_today

RECHECK = "recheck"  # a pending check: POST /visits/{id}/bhyt-recheck
REVIEWED = "reviewed"  # a decided check flagged for staff: POST /visits/{id}/bhyt-reviewed


def bhyt_flags(deps: Deps) -> list[dict]:
    """Today's flagged checks, each with what it means and the one action staff can take here."""
    out = []
    for row in flagged_today(deps):
        pending = row["status"] == CheckStatus.PENDING.value
        out.append({**row, "action": RECHECK if pending else REVIEWED})
    return out


def _visit_checks(uow, visit_id: str):
    checks = uow.card_checks.for_visits([visit_id])
    if not checks:
        raise DomainError("VISIT_NOT_FOUND")
    return checks


def recheck_now(deps: Deps, visit_id: str, actor: str) -> None:
    """A pending check is asked again at the next pass (seconds), not after its back-off."""
    now = deps.clock()
    with deps.uow.write() as uow:
        pending = [c for c in _visit_checks(uow, visit_id) if c.status == CheckStatus.PENDING.value]
        if not pending:
            raise DomainError("INVALID_TRANSITION")
        for c in pending:
            uow.card_checks.update(c.id, next_attempt_at=now)
        uow.audit.add(now, actor, "bhyt.recheck", visit_id)
        uow.commit()


def mark_reviewed(deps: Deps, visit_id: str, actor: str) -> None:
    """Staff dealt with a decided check (saw the card and papers, sent the patient on): off the list."""
    now = deps.clock()
    with deps.uow.write() as uow:
        flagged = [c for c in _visit_checks(uow, visit_id)
                   if c.staff_flag and c.status != CheckStatus.PENDING.value]
        if not flagged:
            raise DomainError("INVALID_TRANSITION")
        for c in flagged:
            uow.card_checks.update(c.id, staff_flag=False)
        uow.audit.add(now, actor, "bhyt.reviewed", visit_id)
        uow.commit()
