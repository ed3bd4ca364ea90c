"""Alembic, driven from code: `tiepdon db upgrade` and the start-up check share this."""
import os

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS_DIR)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


def head_revisions(url: str) -> set[str]:
    """Capabilities add their tables in their own revisions, so there may be several heads."""
    return set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


class DatabaseNotMigrated(RuntimeError):
    pass


def require_migrated(engine: Engine, url: str) -> None:
    current, heads = current_revisions(engine), head_revisions(url)
    if current != heads:
        have = ", ".join(sorted(current)) or None
        need = ", ".join(sorted(heads))
        raise DatabaseNotMigrated(
            "Cơ sở dữ liệu chưa được nâng cấp lên phiên bản mới nhất "
            f"(hiện tại: {have or 'trống'}, cần: {need}). Chạy: tiepdon db upgrade\n"
            "The database is not migrated to the current schema "
            f"(current: {have or 'empty'}, required: {need}). Run: tiepdon db upgrade"
        )
