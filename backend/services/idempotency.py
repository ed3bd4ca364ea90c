"""Idempotency-Key handling: the same key and body replays the first answer; another body is refused."""
import hashlib
import json
from dataclasses import dataclass

from ..domain.errors import DomainError
from .ports.uow import UnitOfWork


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
class Replay:
    status_code: int
    body: dict


def find_replay(uow: UnitOfWork, idem: IdempotencyRequest | None) -> Replay | None:
    if idem is None:
        return None
    row = uow.idempotency.get(idem.scope, idem.key)
    if row is None:
        return None
    if row.request_hash != idem.request_hash:
        raise DomainError("IDEMPOTENCY_KEY_REUSED")
    return Replay(row.status_code, json.loads(row.body))


def remember(uow: UnitOfWork, idem: IdempotencyRequest | None, status_code: int, body: dict, at) -> None:
    if idem is not None:
        uow.idempotency.put(idem.scope, idem.key, idem.request_hash, status_code,
                            json.dumps(body, ensure_ascii=False), at)
