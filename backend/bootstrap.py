"""The composition root: the one place where concrete adapters, providers, periodic jobs and health
probes are built from settings. `create_app` only wires Flask to what `build` returns; the CLI and
the tests build the same container. Tests replace an adapter by passing it to `build` by name."""
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy.engine import Engine

from .adapters.bhxh.client import BhxhClient
from .adapters.cpu_pool import CpuPool
from .adapters.db.engine import build_engine, gate_for
from .adapters.db.migrate import require_migrated
from .adapters.db.storage import StorageMonitor, require_writable
from .adapters.db.uow import SqlUnitOfWorkFactory
from .adapters.his.xml0 import Xml0FileExporter, build_xml0_document
from .adapters.metrics import MeteredCardChecker, MeteredPublisher
from .adapters.his.xml0_signing import SigningCertificateError, load_pkcs12_signer
from .adapters.notify import DevSmsSink, HttpSmsGateway
from .adapters.payments.qr_image import QrCodeRenderer
from .adapters.payments.vietqr.provider import VietQrProvider
from .adapters.payments.vietqr.webhook import BankWebhookConfig, BankWebhookVerifier
from .adapters.payments.vnpay.client import VnpayClient
from .adapters.payments.vnpay.provider import VnpayProvider
from .adapters.pii_vault import FernetPiiVault, old_keys_from
from .adapters.realtime import RealtimeHub, SocketIOPublisher
from .domain.tokens import TokenSigner
from .jobs import periodic_jobs
from .services.accounts import MobileContext
from .services.context import Deps
from .services.his_sync import his_health
from .services.identification import bhxh_health
from .services.payments import PaymentContext, PaymentPolicy, payments_of
from .services.ports.notify import NotifyUnavailable
from .services.ports.payments import PaymentProvider, ProviderRegistry
from .services.ports.realtime import RealtimePublisher
from .services.ports.signing import LeaveUnsigned
from .settings import Settings, require_secret
from .settings.hospital import HospitalFile, load_hospital_file
from .settings.payments import PaymentSettings, bank_directory, payment_settings

Probe = Callable[[], dict]


@dataclass
class Container:
    settings: Settings
    engine: Engine
    deps: Deps
    storage: StorageMonitor | None = None  # what the last writes met (/health, the API's error map)
    hub: RealtimeHub | None = None  # Socket.IO state of this process (servers only)
    health: dict[str, Probe] = field(default_factory=dict)  # /health checks besides the database
    jobs: list = field(default_factory=list)  # jobs.Job: every periodic pass (jobs.periodic_jobs)


def build(settings: Settings, *, check_migrations: bool = True, for_server: bool = False,
          publisher: RealtimePublisher | None = None, clock: Callable[[], datetime] | None = None,
          card_checker: Any = None, his: Any = None, notifier: Any = None,
          payments_context: PaymentContext | None = None, payments: dict | None = None,
          payment_providers: tuple[PaymentProvider, ...] | list = (),
          appointments: dict | None = None) -> Container:
    """`for_server`: the container answers requests (create_app, `tiepdon serve`), so every adapter
    a request may need must be configured; CLI housekeeping commands may run without some.

    The other keywords replace what settings would build (tests' fakes and simulators):
    `payments` / `appointments` are merged over hospital.toml's [payments] / [appointments];
    `payment_providers` come after the built-in ones in the registry."""
    secret = require_secret(settings)
    engine = build_engine(settings.database_url)
    if for_server:
        # Before the first connection: SQLite maps the -shm file of a database it cannot write.
        require_writable(engine, write=False)
    if check_migrations:
        require_migrated(engine, settings.database_url)
    gate = gate_for(engine)
    if for_server:
        with gate.hold():  # other processes sharing the file may be serving already
            require_writable(engine)  # a real write: a server that can store nothing must not start
        gate.close()
    hospital = load_hospital_file(settings.config_path, ignore_hours=settings.ignore_opening_hours,
                                  appointment_overrides=appointments)
    public_url = settings.public_url or "http://localhost:8000"
    ps = payment_settings(hospital.payments, settings, public_url.rstrip("/"), payments)
    # Where and whether patients pay at the desk: part of what the hospital offers, shown with every invoice.
    catalog = replace(hospital.catalog, cashier=ps.cashier_desk)
    deps = Deps(
        uow=SqlUnitOfWorkFactory(engine, gate),
        catalog=catalog,
        signer=TokenSigner(secret),
        publisher=MeteredPublisher(publisher or SocketIOPublisher()),  # counts for /metrics
        public_url=public_url.rstrip("/"),
        cpu=CpuPool(),
    )
    if clock is not None:
        deps.clock = clock
    deps.kiosk_heartbeat_s = settings.kiosk_heartbeat_s
    deps.pii = FernetPiiVault(settings.pii_key, old_keys_from(settings.pii_key_old))
    checker = card_checker or _card_checker(settings)
    deps.card_checker = None if checker is None else MeteredCardChecker(checker)
    deps.xml0_signer = _xml0_signer(settings, deps.clock)
    deps.xml0_format = build_xml0_document
    deps.his = his or _his_gateway(settings, deps.xml0_signer)
    deps.payments = payments_context or _payments(ps, deps.cpu, payment_providers)
    deps.mobile = _mobile(settings, hospital, deps.cpu, for_server, notifier)
    deps.manual_lookup_limit = settings.manual_lookup_limit
    container = Container(settings=settings, engine=engine, deps=deps,
                          storage=StorageMonitor(engine, deps.uow.gate))
    if for_server:
        container.hub = RealtimeHub(deps, settings.redis_url, settings.long_wait_check_s)
    container.health = _health_probes(container)
    container.jobs = periodic_jobs(container)
    return container


build_container = build  # the name the CLI, the demo and the tests' helpers know


def _health_probes(container: Container) -> dict[str, Probe]:
    """In the order /health reports them, after the database."""
    deps = container.deps
    probes: dict[str, Probe] = {"payments": lambda: _payments_health(payments_of(deps))}
    if container.hub is not None and container.hub.link is not None:
        probes["redis"] = container.hub.link.probe
    probes["his"] = lambda: his_health(deps)
    probes["bhxh"] = lambda: bhxh_health(deps)
    return probes


def _payments_health(ctx: PaymentContext) -> dict:
    body = {"status": "ok"}
    for provider in ctx.providers:
        body.update(provider.health())
    return body


def _card_checker(settings: Settings):
    if not settings.bhxh_url:
        return None  # no gateway configured: every BHYT check stays pending for staff
    return BhxhClient(settings.bhxh_url, settings.bhxh_username or "", settings.bhxh_password or "",
                      settings.bhxh_staff_name or "", settings.bhxh_staff_cccd or "",
                      read_timeout=settings.bhxh_timeout_s)


def _his_gateway(settings: Settings, xml0_signer):
    if settings.his_fhir_url:
        from .adapters.his.fhir_client import FhirHisClient  # lazy: pydantic FHIR models, only with HIS_FHIR_URL

        return FhirHisClient(settings.his_fhir_url, auth_token=settings.his_token)
    if settings.his_xml0_dir:
        return Xml0FileExporter(settings.his_xml0_dir, signer=xml0_signer)
    return None


def _xml0_signer(settings: Settings, clock):
    """The hospital's certificate signs XML0 records (CHUKYDONVI); a faulty one stops start-up here."""
    sign = settings.his_xml0_sign if settings.his_xml0_sign is not None else bool(settings.his_signing_p12)
    if not sign:
        return LeaveUnsigned()
    if not settings.his_signing_p12:
        raise SigningCertificateError(
            "HIS_XML0_SIGN=1 cần HIS_SIGNING_P12 (tệp chứng thư số .p12/.pfx của bệnh viện)\n"
            "HIS_XML0_SIGN=1 needs HIS_SIGNING_P12 (the hospital's .p12/.pfx certificate file)")
    return load_pkcs12_signer(settings.his_signing_p12, settings.his_signing_p12_password, now=clock)


def _payments(ps: PaymentSettings, cpu, extra_providers) -> PaymentContext:
    """The payment providers, policy and QR renderer from payment settings (settings/payments.py)."""
    policy = PaymentPolicy(
        invoice_ttl_min=ps.invoice_ttl_min, reference_prefix=ps.reference_prefix,
        querydr_after=timedelta(minutes=ps.querydr_after_min), querydr_window=timedelta(hours=ps.querydr_window_h),
    )
    # One line per payment method, in the order kiosks offer them (docs/payments.md "Adding a
    # payment method"). Providers handed to build(payment_providers=...) come after (tests).
    providers = ProviderRegistry([
        _vietqr_provider(ps),
        _vnpay_provider(ps),
        *extra_providers,
    ])
    return PaymentContext(policy=policy, providers=providers, qr=QrCodeRenderer(box_size=8, cpu=cpu),
                          jobs_interval_s=ps.jobs_interval_s)


def _vnpay_provider(ps):
    client = None
    if ps.vnpay_enabled:
        client = VnpayClient(tmn_code=ps.vnpay_tmn_code, hash_secret=ps.vnpay_hash_secret,
                             return_url=ps.vnpay_return_url, server_ip=ps.vnpay_server_ip,
                             payment_base_url=ps.vnpay_payment_url, api_url=ps.vnpay_api_url)
    return VnpayProvider(client)


def _vietqr_provider(ps):
    bank = bank_directory(ps).by_bin(ps.bank_bin) if ps.bank_bin else None
    webhook = None
    if ps.bank_webhook_secret:
        webhook = BankWebhookVerifier(BankWebhookConfig(ps.bank_webhook_auth, ps.bank_webhook_secret,
                                                        ps.bank_webhook_header))
    return VietQrProvider(bank_bin=ps.bank_bin, account=ps.bank_account, account_name=ps.account_name,
                          bank_name=bank.short_name if bank else None, webhook=webhook)


class SmsGatewayRequired(RuntimeError):
    """No SMS gateway and no explicit development setting: sign-in codes would go nowhere safe."""

SMS_GATEWAY_REQUIRED = (
    "Chưa cấu hình cổng SMS: đặt SMS_GATEWAY_URL và SMS_GATEWAY_KEY. Chỉ khi phát triển/chạy thử mới "
    "đặt TIEPDON_DEV_SMS=1 (tin nhắn giữ trong bộ nhớ, không gửi đi).\n"
    "No SMS gateway is configured: set SMS_GATEWAY_URL and SMS_GATEWAY_KEY. Only for development "
    "set TIEPDON_DEV_SMS=1 (messages are kept in memory, never sent)."
)


class _NoSmsGateway:
    """A CLI command's notifier when no gateway is configured: nothing is ever sent (or printed)."""
    def send_sms(self, message):
        raise NotifyUnavailable("no_gateway")


def _mobile(settings: Settings, hospital: HospitalFile, cpu, for_server: bool, notifier):
    """SMS notifier (HTTP gateway, or the in-memory development outbox when TIEPDON_DEV_SMS says
    so) and the appointment policy from hospital.toml [appointments] (with build's overrides)."""
    # The outbox route shows codes to an admin: only with the explicit development setting.
    outbox = notifier if isinstance(notifier, DevSmsSink) and settings.dev_sms else None
    if notifier is None and settings.sms_gateway_url:
        if not settings.sms_gateway_key:
            raise RuntimeError("SMS_GATEWAY_URL cần SMS_GATEWAY_KEY / SMS_GATEWAY_URL needs SMS_GATEWAY_KEY")
        notifier = HttpSmsGateway(settings.sms_gateway_url, settings.sms_gateway_key, settings.sms_brand_name,
                                  ascii_only=settings.sms_ascii, read_timeout=settings.sms_timeout_s)
    elif notifier is None:
        if settings.dev_sms:
            notifier = outbox = DevSmsSink()
        elif for_server:
            raise SmsGatewayRequired(SMS_GATEWAY_REQUIRED)
        else:
            notifier = _NoSmsGateway()
    return MobileContext(
        notifier=notifier,
        appointments=hospital.appointments,
        otp_template=settings.sms_otp_template,  # None: the catalog's words, in the patient's language
        qr=QrCodeRenderer(box_size=8, cpu=cpu),
        outbox=outbox,
    )
