"""What the hospital offers: services (one queue each per day) and service points (counters, rooms)."""
from dataclasses import dataclass, field
from datetime import datetime, time

from .errors import DomainError
from .hospital_time import to_local
from .invoices import CashierDesk

COVERAGES = ("bhyt", "self_pay")


@dataclass(frozen=True)
class OpeningHours:
    """Opening periods per weekday (0 = Monday). A day with no periods is closed."""

    periods: dict[int, tuple[tuple[time, time], ...]]

    def is_open(self, instant: datetime) -> bool:
        local = to_local(instant)
        now = local.time()
        return any(start <= now < end for start, end in self.periods.get(local.weekday(), ()))

    @staticmethod
    def always() -> "OpeningHours":
        whole_day = ((time(0, 0), time(23, 59, 59, 999999)),)
        return OpeningHours({d: whole_day for d in range(7)})


@dataclass(frozen=True)
class Service:
    code: str
    prefix: str
    name_vi: str
    name_en: str
    kind: str  # reception | clinic | cashier | lab | imaging | pharmacy
    coverages: tuple[str, ...]
    fee_vnd: int  # self-pay exam fee, integer VND
    hours: OpeningHours
    room_vi: str = ""
    room_en: str = ""
    directions_vi: str = ""
    directions_en: str = ""
    payment_before_call: bool = False
    long_wait_min: int = 45
    default_service_s: int = 360
    kiosk: bool = True  # offered on the kiosk; lab/imaging/pharmacy come by transfer

    def require_coverage(self, coverage: str) -> None:
        if coverage not in self.coverages:
            raise DomainError("COVERAGE_NOT_ALLOWED", service=self.code, coverage=coverage)


@dataclass(frozen=True)
class ServicePoint:
    code: str
    name_vi: str
    name_en: str
    services: tuple[str, ...]
    room_vi: str = ""
    room_en: str = ""
    display: str = "lobby"  # which lobby display area calls this point


@dataclass(frozen=True)
class Catalog:
    hospital_code: str
    hospital_name_vi: str
    hospital_name_en: str
    services: dict[str, Service]
    points: dict[str, ServicePoint]
    priority_boost_min: int = 30
    skip_requeue_limit: int = 1
    # A ticket's track token (its QR) works through the ticket's day and this many days more.
    track_token_days: int = 7
    displays: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (name_vi, name_en)
    # Paying at the cashier's desk ([payments] cashier, cashier_where_vi/en, on_timeout): every
    # invoice a client is shown says so (presenters.rest.invoice_brief).
    cashier: CashierDesk = field(default_factory=CashierDesk)

    def service(self, code: str) -> Service:
        try:
            return self.services[code]
        except KeyError:
            raise DomainError("SERVICE_NOT_FOUND", service=code) from None

    def point(self, code: str) -> ServicePoint:
        try:
            return self.points[code]
        except KeyError:
            raise DomainError("SERVICE_POINT_NOT_FOUND", service_point=code) from None

    def points_for(self, service_code: str) -> list[ServicePoint]:
        return [p for p in self.points.values() if service_code in p.services]

    def validate(self) -> None:
        if self.track_token_days < 0:
            raise ValueError("queue.track_token_days must be 0 or more")
        prefixes: dict[str, str] = {}
        for s in self.services.values():
            if s.prefix in prefixes:
                raise ValueError(f"prefix {s.prefix} used by {prefixes[s.prefix]} and {s.code}")
            prefixes[s.prefix] = s.code
            for c in s.coverages:
                if c not in COVERAGES:
                    raise ValueError(f"service {s.code}: unknown coverage {c}")
            if s.fee_vnd < 0 or int(s.fee_vnd) != s.fee_vnd:
                raise ValueError(f"service {s.code}: fee must be a whole number of VND")
        for p in self.points.values():
            for code in p.services:
                if code not in self.services:
                    raise ValueError(f"service point {p.code} serves unknown service {code}")
