"""A gateway and a printer that answer what a test tells them to, and a clock the test moves.
They stand in for the backend in the flow's unit tests only; the e2e tests use the real one."""
from __future__ import annotations

import copy
from collections import defaultdict

from kiosk_client.flow import PrintOutcome

HOSPITAL = {"code": "19012", "name_vi": "Bệnh viện Đa khoa huyện Sông Cầu",
            "name_en": "Song Cau District General Hospital"}


def service(code="KHAM-NOI", name_vi="Khám Nội", name_en="Internal medicine", coverages=("bhyt", "self_pay"),
            fee=39000, open_now=True, waiting=3, wait=15, kiosk=True):
    return {"code": code, "name_vi": name_vi, "name_en": name_en, "room_vi": "Phòng khám 101–103",
            "room_en": "Rooms 101–103", "directions_vi": "Tầng 1, hành lang B",
            "directions_en": "Ground floor, corridor B", "prefix": "N", "kind": "clinic",
            "coverages": list(coverages), "fee_vnd": fee, "open_now": open_now, "kiosk": kiosk,
            "waiting": waiting, "estimated_wait_min": wait, "payment_before_call": False}


SERVICES = {"date": "2026-11-23", "hospital": HOSPITAL, "services": [
    service(),
    service("KHAM-MAT", "Khám Mắt", "Ophthalmology"),
    service("TD-BHYT", "Tiếp đón – Bảo hiểm y tế", "Reception – Health insurance", coverages=("bhyt",), fee=0),
    service("KHAM-DL", "Khám Da liễu", "Dermatology", open_now=False),
    service("THU-NGAN", "Thu ngân", "Cashier", kiosk=False),
]}


TYPED_HINT = ("Bạn đã nhập số giấy tờ bằng tay: bạn vẫn lấy được số mới.",
              "You typed your ID number: you can still get a new number.")


def identify_answer(status="ok", open_tickets=(), priority=None, assurance="card"):
    hint = TYPED_HINT if assurance == "typed" else (None, None)
    return {
        "assurance": {"level": assurance, "message_vi": hint[0], "message_en": hint[1]},
        "patient": {"name_masked": "Nguyễn V. A", "age": 36, "gender": "male", "id_masked": "0010******45"},
        "card": {"type": "cccd", "number_masked": "0010******45", "manual": False},
        "bhyt_check": {"status": status, "outcome": "ok", "code": "000",
                       "message_vi": "Thẻ BHYT hợp lệ." if status == "ok" else "Thẻ BHYT không dùng được.",
                       "message_en": "Your health insurance card is valid." if status == "ok" else "Refused."},
        "priority": priority,
        "open_visit": {"visit_id": "v1", "tickets": list(open_tickets)} if open_tickets else None,
        "identify_token": "tok-123",
        "expires_at": "2026-11-23T09:10:00+07:00",
    }


def ticket(number=1, code="KHAM-NOI", coverage="bhyt", invoice=None, status="waiting", tid=None):
    svc = service(code)
    t = {"id": tid or f"t{number}", "display_number": f"N{number:03d}", "number": number, "status": status,
         "service": {k: svc[k] for k in ("code", "name_vi", "name_en", "room_vi", "room_en",
                                         "directions_vi", "directions_en")},
         "coverage": coverage, "priority": None, "position": 1, "people_ahead": 0,
         "estimated_wait_min": 0, "issued_at": "2026-11-23T09:00:00+07:00", "visit_id": "v1",
         "payment_required": invoice is not None, "paid": invoice is None, "track_token": "trk",
         "track_url": f"http://localhost:8000/t/{tid or f't{number}'}?token=trk"}
    if invoice is not None:
        t["invoice"] = invoice
    return t


class FakeGateway:
    """Each method answers from a script: a list of results or exceptions, the last one repeating."""

    def __init__(self):
        self.calls: list[tuple] = []
        self.script = defaultdict(list)
        self.script["services"] = [SERVICES]
        self.script["identify"] = [identify_answer()]
        self.script["create_ticket"] = [ticket()]
        self.script["heartbeat"] = [{"ok": True}]
        self.script["cancel_ticket"] = [{"status": "cancelled"}]

    def answer(self, name, *values):
        self.script[name] = list(values)

    def _take(self, name, *args):
        self.calls.append((name, *copy.deepcopy(args)))
        queue = self.script[name]
        if not queue:
            raise AssertionError(f"no scripted answer for {name}")
        value = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(value, BaseException):
            raise value
        return copy.deepcopy(value)

    def called(self, name):
        return [c for c in self.calls if c[0] == name]

    def services(self, lang="vi"):
        return self._take("services", lang)

    def identify(self, payload, lang="vi"):
        return self._take("identify", payload, lang)

    def create_ticket(self, body, idempotency_key, lang="vi"):
        return self._take("create_ticket", body, idempotency_key, lang)

    def cancel_ticket(self, ticket_id, token, lang="vi"):
        return self._take("cancel_ticket", ticket_id, token)

    def invoice(self, invoice_id, lang="vi"):
        return self._take("invoice", invoice_id)

    def vnpay(self, invoice_id, lang="vi"):
        return self._take("vnpay", invoice_id)

    def vietqr(self, invoice_id, lang="vi"):
        return self._take("vietqr", invoice_id)

    def pay(self, invoice_id, method, lang="vi"):
        return self._take("pay", invoice_id, method)

    def heartbeat(self, printer_status, lang="vi"):
        return self._take("heartbeat", printer_status)

    def pay_at_cashier(self, invoice_id, lang="vi"):
        return self._take("pay_at_cashier", invoice_id)

    def ticket(self, ticket_id, token, lang="vi"):
        return self._take("ticket", ticket_id, token)

    def check_in_appointment(self, appointment_id, qr, lang="vi"):
        return self._take("check_in_appointment", appointment_id, qr)


class FakePrinter:
    def __init__(self, ok=True, status="ok"):
        self.outcome = PrintOutcome(ok, status)
        self.printed: list[dict] = []
        self.receipts: list[dict] = []

    def print_ticket(self, ticket, identity, lang):
        self.printed.append(ticket)
        return self.outcome

    def print_receipt(self, invoice, ticket, lang):
        self.receipts.append(invoice)
        return self.outcome


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class DeferredIO:
    """Holds jobs until the test releases them: answers that arrive late, or after a reset."""

    def __init__(self):
        self.pending: list = []

    def __call__(self, job, done):
        self.pending.append((job, done))

    def release(self, index=0):
        job, done = self.pending.pop(index)
        try:
            result = job()
        except Exception as exc:
            done(None, exc)
        else:
            done(result, None)


def offer_payment_methods(gateway: FakeGateway, *methods: dict) -> None:
    """The backend's GET /services answer with `payment_methods` (a backend that offers them)."""
    gateway.script["services"] = [{**SERVICES, "payment_methods": list(methods)}]
