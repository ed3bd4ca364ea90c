"""The demo's SMS "gateway": prints each message with the number masked, and keeps the last ones in
memory (the outbox the demo page and the tests read). Never configure it in production: the codes
it prints let anyone who reads the console into an account."""
import sys
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone

from ...domain.otp import mask_phone
from ...domain.tokens import new_id
from ...services.ports.notify import SmsMessage


@dataclass(frozen=True)
class OutboxEntry:
    id: str
    to: str  # full number: only tests and the admin-only demo outbox see it
    to_masked: str
    kind: str
    text: str
    at: datetime


class DevSmsSink:
    def __init__(self, keep: int = 200, stream=None, echo: bool = True):
        self._lock = threading.Lock()
        self._entries: deque[OutboxEntry] = deque(maxlen=keep)
        self._stream = stream
        self._echo = echo

    def send_sms(self, message: SmsMessage) -> str:
        entry = OutboxEntry(new_id(), message.to, mask_phone(message.to), message.kind, message.text,
                            datetime.now(timezone.utc))
        with self._lock:
            self._entries.append(entry)
        if self._echo:
            print(f"[SMS → {entry.to_masked}] {message.text}", file=self._stream or sys.stdout, flush=True)
        return entry.id

    def messages(self, to: str | None = None, kind: str | None = None) -> list[OutboxEntry]:
        with self._lock:
            entries = list(self._entries)
        return [e for e in entries if (to is None or e.to == to) and (kind is None or e.kind == kind)]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
