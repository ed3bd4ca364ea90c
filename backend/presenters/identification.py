"""An identification's result → the JSON of POST /api/v1/identify (API.md): masked, never the
card's full number or the patient's full name."""
from ..domain.assurance import Assurance, may_see_open_visit
from ..domain.bhyt_check import BhytCheckResult
from ..domain.cards import BhytCard
from ..domain.masking import mask_id, mask_name
from ..messages import pair
from ..services.identification import Identification
from .rest import iso, priority_label


def identify_json(result: Identification, open_tickets: list[dict] | None) -> dict:
    """`open_tickets`: the open visit's tickets as ticket_json shows them (None when no open visit
    is shown)."""
    priority = result.priority
    open_visit = None
    if result.open_visit is not None:
        open_visit = {"visit_id": result.open_visit.id, "tickets": open_tickets or []}
    return {
        "patient": patient_view(result.card, result.check, result.age),
        "card": card_view(result.card),
        "bhyt_check": check_view(result.check),
        "priority": None if priority is None else priority_label(priority),
        "assurance": assurance_view(result.assurance),
        "open_visit": open_visit,
        "identify_token": result.identify_token,
        "expires_at": iso(result.expires_at),
    }


def patient_view(card, check: BhytCheckResult, age: int) -> dict:
    return {
        "name_masked": mask_name(card.name),
        "age": age,
        "gender": card.gender.value,
        "id_masked": mask_id(card.identifier),
    }


def card_view(card) -> dict:
    view = {"type": card.kind.value, "number_masked": mask_id(card.identifier), "manual": card.manual}
    if isinstance(card, BhytCard):
        view.update(valid_from=card.valid_from.isoformat() if card.valid_from else None,
                    valid_to=card.valid_to.isoformat() if card.valid_to else None,
                    ma_dkbd=card.ma_dkbd)
    return view


def check_view(check: BhytCheckResult) -> dict:
    words = pair(check.message)
    return {"status": check.status.value, "code": check.code, "outcome": check.outcome.value,
            "message_vi": words.vi, "message_en": words.en,
            "staff_flag": check.staff_flag}


def assurance_view(level: Assurance) -> dict:
    """The same neutral words for every typed number, whether or not anything is open today."""
    hint = pair("assurance.typed") if not may_see_open_visit(level) else (None, None)
    return {"level": level.value, "message_vi": hint[0], "message_en": hint[1]}
