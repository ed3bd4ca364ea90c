"""The collaborators every use case receives, built once by bootstrap.py."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from ..domain.catalog import Catalog
from ..domain.hospital_time import utc_now
from ..domain.tokens import TokenSigner
from .ports.cpu import CpuWork, InlineCpu
from .ports.realtime import NullPublisher, RealtimePublisher
from .ports.signing import DocumentSigner, LeaveUnsigned
from .device_cache import DeviceCache
from .ports.uow import UnitOfWorkFactory

if TYPE_CHECKING:  # the contexts' modules import this one
    from .accounts import MobileContext
    from .payments import PaymentContext


@dataclass
class Deps:
    uow: UnitOfWorkFactory
    catalog: Catalog
    signer: TokenSigner
    publisher: RealtimePublisher = field(default_factory=NullPublisher)
    clock: Callable[[], datetime] = utc_now
    public_url: str = "http://localhost:8000"
    pii: Any = None  # PiiVault: encrypted patient records and look-up hashes
    card_checker: Any = None  # CardChecker (BHXH gateway)
    his: Any = None  # HisGateway
    cpu: CpuWork = field(default_factory=InlineCpu)  # password hashing, QR images
    xml0_signer: DocumentSigner = field(default_factory=LeaveUnsigned)  # facility signature on XML0 records
    xml0_format: Callable[[Any], bytes] | None = None  # VisitRegistration → QĐ 130 XML0 (adapters/his/xml0)
    payments: PaymentContext | None = None  # None: payments_of() gives an unconfigured context
    mobile: MobileContext | None = None  # None: mobile_of() gives an unconfigured context
    device_cache: DeviceCache = field(default_factory=DeviceCache)  # kiosk tokens, this process
    kiosk_heartbeat_s: float = 30.0  # the kiosks' heartbeat period: 3 missed = not responding
    manual_lookup_limit: tuple[int, int] | None = None  # typed card numbers per channel: count, window s
