"""Personal data at rest: encrypted records and keyed look-up hashes (the key lives outside the DB)."""
from typing import Protocol


class PiiVault(Protocol):
    @property
    def rotating(self) -> bool:
        """An old key is configured as a reader: a key rotation is under way."""

    def lookup_hash(self, kind: str, identifier: str) -> str:
        """A keyed hash to find a patient by CCCD or BHYT number without storing the number
        (the current key's: what is stored from now on)."""

    def lookup_hashes(self, kind: str, identifier: str) -> list[str]:
        """Every hash a stored row may carry during a key rotation: the current key's first."""

    def encrypt(self, record: dict) -> str: ...

    def decrypt(self, token: str) -> dict: ...

    def is_current(self, token: str) -> bool:
        """Sealed with the current key already."""

    def reseal(self, token: str) -> str:
        """The same record sealed with the current key."""
