"""Rotating the personal-data key: every sealed value and every keyed hash rewritten under the
current key (TIEPDON_PII_KEY) while the server keeps serving with the old key(s) as readers
(TIEPDON_PII_KEY_OLD). Small write units, one batch each, so requests queue behind a batch for
milliseconds, never behind the whole rotation. Safe to run again: what is current is skipped.

An identifier hash is recomputed from the number in the patient's record; a hash no number in the
record gives (a card code replaced at a renewal) cannot be carried over and is dropped: the
lifelong BHXH number and the CCCD still find the patient.
"""
from dataclasses import dataclass, field

from .context import Deps

BATCH = 100
# record field holding the number of each identifier kind
_NUMBER_OF = {"cccd": lambda r: r.get("cccd"), "bhyt": lambda r: r.get("bhyt_code"),
              "bhxh": lambda r: (r.get("bhyt_code") or "")[-10:] or None}


class NotRotating(RuntimeError):
    """No old key configured: nothing to rotate from."""


@dataclass
class RotationReport:
    resealed: dict[str, int] = field(default_factory=dict)
    rehashed: int = 0
    dropped: int = 0
    accounts_rehashed: int = 0

    def lines(self) -> list[str]:
        sealed = ", ".join(f"{k}={v}" for k, v in self.resealed.items())
        return [f"resealed {sealed}", f"identifiers rehashed={self.rehashed} dropped={self.dropped}",
                f"accounts rehashed={self.accounts_rehashed}"]


def rotate_pii_key(deps: Deps, batch: int = BATCH) -> RotationReport:
    vault = deps.pii
    if not vault.rotating:
        raise NotRotating()
    report = RotationReport()
    with deps.uow.read() as uow:
        names = uow.sealed.names()
    for name in names:
        report.resealed[name] = _reseal(deps, name, batch)
    _rehash_identifiers(deps, batch, report)
    _rehash_accounts(deps, batch, report)
    return report


def _reseal(deps: Deps, name: str, batch: int) -> int:
    done, after = 0, None
    while True:
        with deps.uow.read() as uow:
            rows = uow.sealed.page(name, after, batch)
        if not rows:
            return done
        stale = [(key, token) for key, token in rows if not deps.pii.is_current(token)]
        if stale:
            with deps.uow.write() as uow:
                for key, token in stale:
                    done += uow.sealed.replace(name, key, token, deps.pii.reseal(token))
                uow.commit()
        after = rows[-1][0]


def _rehash_identifiers(deps: Deps, batch: int, report: RotationReport) -> None:
    after = None
    while True:
        with deps.uow.read() as uow:
            rows = uow.sealed.identifiers(after, batch)
            records = {pid: deps.pii.decrypt(uow.patients.get(pid).data_enc) for pid in {r[1] for r in rows}}
        if not rows:
            return
        changes = []
        for lookup_hash, patient_id, kind in rows:
            number = _NUMBER_OF.get(kind, lambda r: None)(records[patient_id])
            hashes = deps.pii.lookup_hashes(kind, number) if number else []
            if hashes and lookup_hash == hashes[0]:
                continue  # current already
            changes.append((lookup_hash, hashes[0] if lookup_hash in hashes else None))
        if changes:
            with deps.uow.write() as uow:
                for old, new in changes:
                    if new is None:
                        uow.sealed.unlink(old)
                        report.dropped += 1
                    else:
                        uow.sealed.relink(old, new)
                        report.rehashed += 1
                uow.commit()
        after = rows[-1][0]


def _rehash_accounts(deps: Deps, batch: int, report: RotationReport) -> None:
    after = None
    while True:
        with deps.uow.read() as uow:
            rows = uow.sealed.accounts(after, batch)
        if not rows:
            return
        changes = []
        for account_id, phone_hash, sealed in rows:
            current = deps.pii.lookup_hash("phone", deps.pii.decrypt(sealed)["phone"])
            if phone_hash != current:
                changes.append((account_id, phone_hash, current))
        if changes:
            with deps.uow.write() as uow:
                for account_id, old, new in changes:
                    report.accounts_rehashed += uow.sealed.rehash_account(account_id, old, new)
                uow.commit()
        after = rows[-1][0]
