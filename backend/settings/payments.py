"""Payment settings: the hospital's receiving account from hospital.toml [payments] (read by
settings/hospital.py), credentials and gateway URLs from the environment (secrets never from a
file; read by settings/environment.py), test overrides from `create_app(config, payments={...})`
(bootstrap.build).

Environment:
  VNPAY_TMN_CODE, VNPAY_HASH_SECRET      merchant code and hash secret from VNPay (both or neither)
  VNPAY_PAYMENT_URL, VNPAY_API_URL       default: VNPay sandbox
  VNPAY_RETURN_URL                       default: <public URL>/api/v1/payments/vnpay/return
  VNPAY_SERVER_IP                        our address as VNPay sees it (querydr/refund vnp_IpAddr)
  BANK_WEBHOOK_SECRET                    HMAC secret or API key shared with the bank / aggregator
  BANK_WEBHOOK_AUTH, BANK_WEBHOOK_HEADER hmac (default) | api_key; header name override
  TIEPDON_INVOICE_TTL_MIN                overrides [payments] invoice_ttl_min
  TIEPDON_PAYMENTS_JOB_S                 expiry sweep + querydr every N s in each server process (default 60, 0 = off)
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

from ..adapters.payments.vietqr.banks import BankDirectory, load_banks
from ..domain.invoices import ON_TIMEOUT, CashierDesk
from ..domain.payments.reference import REFERENCE_PREFIX
from .environment import ROOT, Settings
from .hospital import ConfigError

DEFAULT_BANKS_CSV = os.path.join(ROOT, "config", "banks.csv")
SANDBOX_PAYMENT_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
SANDBOX_API_URL = "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction"


class PaymentConfigError(ConfigError):
    pass


@dataclass(frozen=True)
class PaymentSettings:
    invoice_ttl_min: int = 15
    bank_bin: str | None = None
    bank_account: str | None = None
    account_name: str | None = None
    reference_prefix: str = REFERENCE_PREFIX
    banks_csv: str = DEFAULT_BANKS_CSV
    querydr_after_min: int = 5
    querydr_window_h: int = 24
    vnpay_tmn_code: str | None = None
    vnpay_hash_secret: str | None = None
    vnpay_payment_url: str = SANDBOX_PAYMENT_URL
    vnpay_api_url: str = SANDBOX_API_URL
    vnpay_return_url: str | None = None
    vnpay_server_ip: str = "127.0.0.1"
    bank_webhook_secret: str | None = None
    bank_webhook_auth: str = "hmac"
    bank_webhook_header: str | None = None
    jobs_interval_s: float = 60.0
    cashier: bool = False  # patients may pay at the cashier's desk (cash, card terminal)
    cashier_where_vi: str = ""
    cashier_where_en: str = ""
    on_timeout: str | None = None  # "cashier" | "cancel"; default: "cashier" when cashier = true

    def __repr__(self) -> str:  # settings objects end up in tracebacks; secrets must not
        shown = {f.name: getattr(self, f.name) for f in fields(self) if "secret" not in f.name}
        return f"PaymentSettings({shown})"

    @property
    def vnpay_enabled(self) -> bool:
        return bool(self.vnpay_tmn_code and self.vnpay_hash_secret)

    @property
    def vietqr_enabled(self) -> bool:
        return bool(self.bank_bin and self.bank_account)

    @property
    def cashier_desk(self) -> CashierDesk:
        """What invoices tell kiosks and phones about paying at the desk (domain.invoices.CashierDesk)."""
        return CashierDesk(allowed=self.cashier, where_vi=self.cashier_where_vi, where_en=self.cashier_where_en,
                           on_timeout=self.on_timeout or ("cashier" if self.cashier else "cancel"))


# PaymentSettings field → the process Settings field the environment fills (None there: not set)
_FROM_ENVIRONMENT = {
    "vnpay_tmn_code": "vnpay_tmn_code", "vnpay_hash_secret": "vnpay_hash_secret",
    "vnpay_payment_url": "vnpay_payment_url", "vnpay_api_url": "vnpay_api_url",
    "vnpay_return_url": "vnpay_return_url", "vnpay_server_ip": "vnpay_server_ip",
    "bank_webhook_secret": "bank_webhook_secret", "bank_webhook_auth": "bank_webhook_auth",
    "bank_webhook_header": "bank_webhook_header", "invoice_ttl_min": "invoice_ttl_min",
    "jobs_interval_s": "payments_jobs_interval_s",
}  # fmt: skip


def payment_settings(file_values: dict, settings: Settings, public_url: str,
                     overrides: dict | None = None) -> PaymentSettings:
    """The file's [payments] values, then the environment's, then a test's overrides."""
    values = dict(file_values)
    for name, setting in _FROM_ENVIRONMENT.items():
        if getattr(settings, setting) is not None:
            values[name] = getattr(settings, setting)
    values.update(overrides or {})
    result = PaymentSettings(**values)
    if not result.vnpay_return_url:
        result = replace(result, vnpay_return_url=f"{public_url.rstrip('/')}/api/v1/payments/vnpay/return")
    validate(result)
    return result


def validate(settings: PaymentSettings) -> None:
    if settings.invoice_ttl_min <= 0:
        raise PaymentConfigError("invoice_ttl_min must be positive")
    if bool(settings.vnpay_tmn_code) != bool(settings.vnpay_hash_secret):
        raise PaymentConfigError("VNPAY_TMN_CODE and VNPAY_HASH_SECRET go together: set both or neither")
    if settings.vnpay_hash_secret and len(settings.vnpay_hash_secret) < 16:
        raise PaymentConfigError("VNPAY_HASH_SECRET is too short to be a VNPay hash secret")
    if bool(settings.bank_bin) != bool(settings.bank_account):
        raise PaymentConfigError("[payments] bank_bin and account go together")
    if not settings.reference_prefix.isascii() or not settings.reference_prefix.isalnum():
        raise PaymentConfigError("[payments] reference_prefix must be ASCII letters or digits")
    if settings.on_timeout is not None and settings.on_timeout not in ON_TIMEOUT:
        raise PaymentConfigError('[payments] on_timeout must be "cashier" or "cancel"')
    if settings.on_timeout == "cashier" and not settings.cashier:
        raise PaymentConfigError('[payments] on_timeout = "cashier" needs cashier = true')
    if settings.cashier and not (settings.cashier_where_vi.strip() and settings.cashier_where_en.strip()):
        raise PaymentConfigError("[payments] cashier = true needs cashier_where_vi and cashier_where_en "
                                 "(where patients find the desk)")


def bank_directory(settings: PaymentSettings) -> BankDirectory:
    banks = load_banks(settings.banks_csv)
    if settings.bank_bin and settings.bank_bin not in banks:
        raise PaymentConfigError(f"[payments] bank_bin {settings.bank_bin} is not in {settings.banks_csv}")
    return banks
