"""The development SMS "gateway" (TIEPDON_DEV_SMS=1, `tiepdon demo`): keeps the last messages in
memory for the admin-only outbox route and the tests, and prints only that a message was kept —
never its text, which carries sign-in codes: anyone who reads a console or a log could sign in."""
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
            print(f"[SMS → {entry.to_masked}] {message.kind}: giữ trong hộp thư thử / kept in the dev outbox "
                  "(GET /api/v1/dev/sms-outbox)", file=self._stream or sys.stdout, flush=True)
        return entry.id

    def messages(self, to: str | None = None, kind: str | None = None) -> list[OutboxEntry]:
        with self._lock:
            entries = list(self._entries)
        return [e for e in entries if (to is None or e.to == to) and (kind is None or e.kind == kind)]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
