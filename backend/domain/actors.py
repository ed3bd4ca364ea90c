"""Who did it: the one way the audit log, ticket and invoice events name an actor.

``staff:<id>``, ``device:<id>`` (a kiosk), ``account:<id>`` (a patient's phone), ``cli`` (an operator
at the console), ``system`` (a background pass). Ids, never usernames: a username can be renamed or
reused, an id cannot. Payment events also name the gateway that spoke (``vnpay:<via>``,
``bank:<transaction>``) in the same ``kind:ref`` shape.
"""
from __future__ import annotations

CLI = "cli"
SYSTEM = "system"


def staff(staff_id: str) -> str:
    return f"staff:{staff_id}"


def device(device_id: str) -> str:
    return f"device:{device_id}"


def account(account_id: str) -> str:
    return f"account:{account_id}"


def staff_id_of(actor: str, ids: set[str], id_by_username: dict[str, str]) -> str | None:
    """The staff id behind an actor, also as rows written before the one format named staff: a bare
    id, or ``staff:<username>``. None for anyone else."""
    kind, _, ref = actor.partition(":")
    if kind == "staff" and ref in ids:
        return ref
    if kind == "staff" and ref in id_by_username:
        return id_by_username[ref]
    return actor if not ref and actor in ids else None
