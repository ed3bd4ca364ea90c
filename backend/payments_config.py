"""Payment settings: the hospital's receiving account from hospital.toml [payments], credentials and
gateway URLs from the environment (secrets never from a file), test overrides from
`create_app(config, payments={...})` (bootstrap.build).

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
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .domain.payments.banks import BankDirectory, load_banks
from .domain.payments.reference import REFERENCE_PREFIX
from .settings import ROOT

DEFAULT_BANKS_CSV = os.path.join(ROOT, "config", "banks.csv")
SANDBOX_PAYMENT_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
SANDBOX_API_URL = "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction"


class PaymentConfigError(ValueError):
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

    def __repr__(self) -> str:  # settings objects end up in tracebacks; secrets must not
        shown = {f.name: getattr(self, f.name) for f in fields(self) if "secret" not in f.name}
        return f"PaymentSettings({shown})"

    @property
    def vnpay_enabled(self) -> bool:
        return bool(self.vnpay_tmn_code and self.vnpay_hash_secret)

    @property
    def vietqr_enabled(self) -> bool:
        return bool(self.bank_bin and self.bank_account)


_TOML_KEYS = {
    "invoice_ttl_min": int, "bank_bin": str, "account": str, "account_name": str,
    "reference_prefix": str, "banks_csv": str, "querydr_after_min": int, "querydr_window_h": int,
    "vnpay_payment_url": str, "vnpay_api_url": str,
}  # fmt: skip
_ENV = {
    "VNPAY_TMN_CODE": "vnpay_tmn_code", "VNPAY_HASH_SECRET": "vnpay_hash_secret",
    "VNPAY_PAYMENT_URL": "vnpay_payment_url", "VNPAY_API_URL": "vnpay_api_url",
    "VNPAY_RETURN_URL": "vnpay_return_url", "VNPAY_SERVER_IP": "vnpay_server_ip",
    "BANK_WEBHOOK_SECRET": "bank_webhook_secret", "BANK_WEBHOOK_AUTH": "bank_webhook_auth",
    "BANK_WEBHOOK_HEADER": "bank_webhook_header", "TIEPDON_INVOICE_TTL_MIN": "invoice_ttl_min",
    "TIEPDON_PAYMENTS_JOB_S": "jobs_interval_s",
}  # fmt: skip


def _from_toml(config_path: str) -> dict:
    with open(config_path, "rb") as fh:
        section = tomllib.load(fh).get("payments", {})
    values = {}
    for key, kind in _TOML_KEYS.items():
        if key in section:
            if kind is int and (isinstance(section[key], bool) or not isinstance(section[key], int)):
                raise PaymentConfigError(f"[payments] {key} must be a whole number")
            values["bank_account" if key == "account" else key] = kind(section[key])
    secretish = [k for k in section if "secret" in k or k.endswith("_key")]
    if secretish:
        raise PaymentConfigError(f"[payments] {secretish[0]}: secrets belong in the environment, not in the file")
    if "banks_csv" in values and not os.path.isabs(values["banks_csv"]):
        values["banks_csv"] = str(Path(config_path).parent / values["banks_csv"])
    return values


def _coerce(name: str, value):
    kind = {f.name: f.type for f in fields(PaymentSettings)}[name]
    if value is None or value == "":
        return None
    if "int" in str(kind):
        return int(value)
    if "float" in str(kind):
        return float(value)
    return str(value)


def load_payment_settings(config_path: str, public_url: str, overrides: dict | None = None,
                          env: dict | None = None) -> PaymentSettings:
    env = os.environ if env is None else env
    values = _from_toml(config_path)
    for var, name in _ENV.items():
        if env.get(var):
            values[name] = _coerce(name, env[var])
    for name, value in (overrides or {}).items():
        values[name] = value
    settings = PaymentSettings(**values)
    if not settings.vnpay_return_url:
        settings = replace(settings, vnpay_return_url=f"{public_url.rstrip('/')}/api/v1/payments/vnpay/return")
    validate(settings)
    return settings


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


def bank_directory(settings: PaymentSettings) -> BankDirectory:
    banks = load_banks(settings.banks_csv)
    if settings.bank_bin and settings.bank_bin not in banks:
        raise PaymentConfigError(f"[payments] bank_bin {settings.bank_bin} is not in {settings.banks_csv}")
    return banks
