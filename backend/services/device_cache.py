"""Recent kiosk-token answers of this process (see services/auth.device_for_token)."""
import time


class DeviceCache:
    """Kiosks send their token with every request: remember recent answers for a moment.
    A revocation here takes effect at once; one made by another process within `ttl_s`."""

    def __init__(self, ttl_s: float = 2.0, max_entries: int = 4096):
        self.ttl_s, self.max_entries = ttl_s, max_entries
        self._entries: dict[str, tuple[float, object]] = {}  # object: a services.auth.Device or None

    def get(self, token_hash: str):
        hit = self._entries.get(token_hash)
        if hit is not None and hit[0] > time.monotonic():
            return hit
        return None

    def put(self, token_hash: str, device: object) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[token_hash] = (time.monotonic() + self.ttl_s, device)

    def clear(self) -> None:
        self._entries.clear()
