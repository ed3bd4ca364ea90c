"""The composition root: the one place where concrete adapters are built from settings."""
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from .adapters.db.engine import build_engine, gate_for
from .adapters.db.migrate import require_migrated
from .adapters.db.uow import SqlUnitOfWorkFactory
from .adapters.pii_vault import FernetPiiVault
from .config_loader import load_catalog
from .domain.tokens import TokenSigner
from .services.context import Deps
from .services.ports.realtime import NullPublisher
from .settings import Settings, require_secret


@dataclass
class Container:
    settings: Settings
    engine: Engine
    deps: Deps


def build_container(settings: Settings, check_migrations: bool = True) -> Container:
    secret = require_secret(settings)
    engine = build_engine(settings.database_url)
    if check_migrations:
        require_migrated(engine, settings.database_url)
    catalog = load_catalog(settings.config_path, ignore_hours=settings.ignore_opening_hours)
    public_url = settings.public_url or "http://localhost:8000"
    deps = Deps(
        uow=SqlUnitOfWorkFactory(engine, gate_for(engine)),
        catalog=catalog,
        signer=TokenSigner(secret),
        publisher=settings.extra.get("publisher") or NullPublisher(),
        public_url=public_url.rstrip("/"),
    )
    if "clock" in settings.extra:
        deps.clock = settings.extra["clock"]
    deps.pii = FernetPiiVault(settings.pii_key)
    deps.card_checker = settings.extra.get("card_checker") or _card_checker(settings)
    deps.his = settings.extra.get("his") or _his_gateway(settings)
    return Container(settings=settings, engine=engine, deps=deps)


def _card_checker(settings: Settings):
    if not settings.bhxh_url:
        return None  # no gateway configured: every BHYT check stays pending for staff
    from .adapters.bhxh.client import BhxhClient

    return BhxhClient(settings.bhxh_url, settings.bhxh_username or "", settings.bhxh_password or "",
                      settings.bhxh_staff_name or "", settings.bhxh_staff_cccd or "",
                      read_timeout=settings.bhxh_timeout_s)


def _his_gateway(settings: Settings):
    if settings.his_fhir_url:
        from .adapters.his.fhir_client import FhirHisClient

        return FhirHisClient(settings.his_fhir_url, auth_token=settings.his_token)
    if settings.his_xml0_dir:
        from .adapters.his.xml0 import Xml0FileExporter

        return Xml0FileExporter(settings.his_xml0_dir)
    return None
