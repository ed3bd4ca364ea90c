"""Idempotency-Key handling: the same key and body replays the first answer; another body is refused.

The record keeps the first *result* as data (services/snapshots.py), written in the transaction that
made it; a replay gives the route that result again and its presenter renders the same JSON. Services
never render."""
import hashlib
import json
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..domain.errors import DomainError
from .ports.uow import UnitOfWork
from .snapshots import from_data, to_data

T = TypeVar("T")

_SNAPSHOT = "snapshot/1"  # marks a record holding a result; older records hold the rendered body


@dataclass(frozen=True)
class IdempotencyRequest:
    scope: str  # who asked (device, staff, account): keys are only unique per client
    key: str
    request_hash: str

    @staticmethod
    def of(scope: str, key: str, method: str, path: str, body: object) -> "IdempotencyRequest":
        canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest = hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()
        return IdempotencyRequest(scope, key, digest)


@dataclass(frozen=True)
class Replay(Generic[T]):
    status_code: int
    result: T | None  # the first result; None for a record written before results were kept …
    first_id: str | None = None  # … which names what it created (the body's "id"): read it again


@dataclass(frozen=True)
class Answered(Generic[T]):
    """A use case's result for an idempotent request; `replayed`: the first answer again, nothing done."""

    result: T
    replayed: bool = False


def find_replay(uow: UnitOfWork, idem: IdempotencyRequest | None, kind: type[T]) -> Replay[T] | None:
    if idem is None:
        return None
    row = uow.idempotency.get(idem.scope, idem.key)
    if row is None:
        return None
    if row.request_hash != idem.request_hash:
        raise DomainError("IDEMPOTENCY_KEY_REUSED")
    stored = json.loads(row.body)
    if stored.get("format") == _SNAPSHOT:
        return Replay(row.status_code, from_data(kind, stored["result"]))
    return Replay(row.status_code, None, stored.get("id"))


def remember(uow: UnitOfWork, idem: IdempotencyRequest | None, status_code: int, result: object, at) -> None:
    if idem is not None:
        body = {"format": _SNAPSHOT, "result": to_data(result)}
        uow.idempotency.put(idem.scope, idem.key, idem.request_hash, status_code,
                            json.dumps(body, ensure_ascii=False), at)
