"""Personal data at rest: encrypted records and keyed look-up hashes (the key lives outside the DB)."""
from typing import Protocol


class PiiVault(Protocol):
    def lookup_hash(self, kind: str, identifier: str) -> str:
        """A keyed hash to find a patient by CCCD or BHYT number without storing the number."""

    def encrypt(self, record: dict) -> str: ...

    def decrypt(self, token: str) -> dict: ...
