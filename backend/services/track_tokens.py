"""The one rule for a ticket's track token (the patient's proof), for REST, the /patient namespace
and invoices alike."""
from enum import Enum

from ..domain.hospital_time import hospital_day
from ..domain.tickets import Ticket
from ..domain.tokens import track_token_expired
from .context import Deps


class TrackAccess(str, Enum):
    VALID = "valid"
    INVALID = "invalid"  # not this ticket's token: answer as if there were no ticket
    EXPIRED = "expired"  # this ticket's token, past its lifetime (TRACK_TOKEN_EXPIRED)


def track_access(deps: Deps, ticket: Ticket, token: str | None) -> TrackAccess:
    """The one rule for a track token, for REST, the /patient namespace and invoices alike."""
    if not deps.signer.verify("track", ticket.id, token):
        return TrackAccess.INVALID
    if track_token_expired(ticket.day, hospital_day(deps.clock()), deps.catalog.track_token_days):
        return TrackAccess.EXPIRED
    return TrackAccess.VALID


def check_track_token(deps: Deps, ticket_id: str, token: str | None) -> TrackAccess:
    if not token or not deps.signer.verify("track", ticket_id, token):
        return TrackAccess.INVALID  # no database read for a wrong token
    with deps.uow.read() as uow:
        ticket = uow.tickets.get(ticket_id)
    return TrackAccess.INVALID if ticket is None else track_access(deps, ticket, token)
