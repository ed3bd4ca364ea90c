"""The composition root: the one place where concrete adapters are built from settings."""
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from .adapters.db.engine import build_engine, gate_for
from .adapters.db.migrate import require_migrated
from .adapters.db.uow import SqlUnitOfWorkFactory
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
    return Container(settings=settings, engine=engine, deps=deps)
