"""The composition root: the one place where concrete adapters are built from settings."""
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from .adapters.db.engine import build_engine, gate_for
from .adapters.db.migrate import require_migrated
from .adapters.cpu_pool import CpuPool
from .adapters.db.storage import require_writable
from .adapters.db.uow import SqlUnitOfWorkFactory
from .adapters.pii_vault import FernetPiiVault
from .domain.tokens import TokenSigner
from .services.context import Deps
from .adapters.realtime import SocketIOPublisher
from .settings import Settings, require_secret
from .settings.hospital import HospitalFile, load_hospital_file


@dataclass
class Container:
    settings: Settings
    engine: Engine
    deps: Deps


def build_container(settings: Settings, check_migrations: bool = True, for_server: bool = False) -> Container:
    """`for_server`: the container answers requests (create_app, `tiepdon serve`), so every adapter
    a request may need must be configured; CLI housekeeping commands may run without some."""
    secret = require_secret(settings)
    engine = build_engine(settings.database_url)
    if for_server:
        # Before the first connection: SQLite maps the -shm file of a database it cannot write.
        require_writable(engine, write=False)
    if check_migrations:
        require_migrated(engine, settings.database_url)
    if for_server:
        require_writable(engine)  # a real write: a server that can store nothing must not start
    hospital = load_hospital_file(settings.config_path, ignore_hours=settings.ignore_opening_hours,
                                  appointment_overrides=settings.extra.get("appointments"))
    catalog = hospital.catalog
    public_url = settings.public_url or "http://localhost:8000"
    deps = Deps(
        uow=SqlUnitOfWorkFactory(engine, gate_for(engine)),
        catalog=catalog,
        signer=TokenSigner(secret),
        publisher=settings.extra.get("publisher") or SocketIOPublisher(),
        public_url=public_url.rstrip("/"),
        cpu=CpuPool(),
    )
    if "clock" in settings.extra:
        deps.clock = settings.extra["clock"]
    deps.pii = FernetPiiVault(settings.pii_key)
    deps.card_checker = settings.extra.get("card_checker") or _card_checker(settings)
    deps.xml0_signer = _xml0_signer(settings, deps.clock)
    deps.his = settings.extra.get("his") or _his_gateway(settings, deps.xml0_signer)
    deps.extras["payments"] = (settings.extra.get("payments_context")
                               or _payments(settings, hospital, deps.public_url, deps.cpu))
    deps.extras["mobile"] = _mobile(settings, hospital, deps.cpu, for_server)
    deps.extras["manual_lookup_limit"] = settings.manual_lookup_limit
    return Container(settings=settings, engine=engine, deps=deps)


def _card_checker(settings: Settings):
    if not settings.bhxh_url:
        return None  # no gateway configured: every BHYT check stays pending for staff
    from .adapters.bhxh.client import BhxhClient

    return BhxhClient(settings.bhxh_url, settings.bhxh_username or "", settings.bhxh_password or "",
                      settings.bhxh_staff_name or "", settings.bhxh_staff_cccd or "",
                      read_timeout=settings.bhxh_timeout_s)


def _his_gateway(settings: Settings, xml0_signer):
    if settings.his_fhir_url:
        from .adapters.his.fhir_client import FhirHisClient

        return FhirHisClient(settings.his_fhir_url, auth_token=settings.his_token)
    if settings.his_xml0_dir:
        from .adapters.his.xml0 import Xml0FileExporter

        return Xml0FileExporter(settings.his_xml0_dir, signer=xml0_signer)
    return None


def _xml0_signer(settings: Settings, clock):
    """The hospital's certificate signs XML0 records (CHUKYDONVI); a faulty one stops start-up here."""
    from .adapters.his.xml0_signing import SigningCertificateError, load_pkcs12_signer
    from .services.ports.signing import LeaveUnsigned

    sign = settings.his_xml0_sign if settings.his_xml0_sign is not None else bool(settings.his_signing_p12)
    if not sign:
        return LeaveUnsigned()
    if not settings.his_signing_p12:
        raise SigningCertificateError(
            "HIS_XML0_SIGN=1 cần HIS_SIGNING_P12 (tệp chứng thư số .p12/.pfx của bệnh viện)\n"
            "HIS_XML0_SIGN=1 needs HIS_SIGNING_P12 (the hospital's .p12/.pfx certificate file)")
    return load_pkcs12_signer(settings.his_signing_p12, settings.his_signing_p12_password, now=clock)


def _payments(settings: Settings, hospital: HospitalFile, public_url: str, cpu):
    """The payment providers, policy and QR renderer from payment settings (settings/payments.py)."""
    from datetime import timedelta

    from .adapters.payments.qr_image import QrCodeRenderer
    from .settings.payments import payment_settings
    from .services.payments import PaymentContext, PaymentPolicy
    from .services.ports.payments import ProviderRegistry

    ps = payment_settings(hospital.payments, settings, public_url, settings.extra.get("payments"))
    policy = PaymentPolicy(
        invoice_ttl_min=ps.invoice_ttl_min, reference_prefix=ps.reference_prefix,
        querydr_after=timedelta(minutes=ps.querydr_after_min), querydr_window=timedelta(hours=ps.querydr_window_h),
    )
    # One line per payment method, in the order kiosks offer them (docs/payments.md "Adding a
    # payment method"). Providers from settings.extra["payment_providers"] come after (tests).
    providers = ProviderRegistry([
        _vietqr_provider(ps),
        _vnpay_provider(ps),
        *settings.extra.get("payment_providers", ()),
    ])
    return PaymentContext(policy=policy, providers=providers, qr=QrCodeRenderer(box_size=8, cpu=cpu),
                          jobs_interval_s=ps.jobs_interval_s)


def _vnpay_provider(ps):
    from .adapters.payments.vnpay.client import VnpayClient
    from .adapters.payments.vnpay.provider import VnpayProvider

    client = None
    if ps.vnpay_enabled:
        client = VnpayClient(tmn_code=ps.vnpay_tmn_code, hash_secret=ps.vnpay_hash_secret,
                             return_url=ps.vnpay_return_url, server_ip=ps.vnpay_server_ip,
                             payment_base_url=ps.vnpay_payment_url, api_url=ps.vnpay_api_url)
    return VnpayProvider(client)


def _vietqr_provider(ps):
    from .adapters.payments.vietqr.provider import VietQrProvider
    from .adapters.payments.vietqr.webhook import BankWebhookConfig, BankWebhookVerifier
    from .settings.payments import bank_directory

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
        from .services.ports.notify import NotifyUnavailable

        raise NotifyUnavailable("no_gateway")


def _mobile(settings: Settings, hospital: HospitalFile, cpu, for_server: bool):
    """SMS notifier (HTTP gateway, or the in-memory development outbox when TIEPDON_DEV_SMS says
    so) and the appointment policy from hospital.toml [appointments]."""
    from .adapters.notify import DevSmsSink, HttpSmsGateway
    from .adapters.payments.qr_image import QrCodeRenderer
    from .services.accounts import MobileContext

    notifier = settings.extra.get("notifier")
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
