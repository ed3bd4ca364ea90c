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


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def head_revision(url: str) -> str:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


class DatabaseNotMigrated(RuntimeError):
    pass


def require_migrated(engine: Engine, url: str) -> None:
    current, head = current_revision(engine), head_revision(url)
    if current != head:
        raise DatabaseNotMigrated(
            "Cơ sở dữ liệu chưa được nâng cấp lên phiên bản mới nhất "
            f"(hiện tại: {current or 'trống'}, cần: {head}). Chạy: tiepdon db upgrade\n"
            "The database is not migrated to the current schema "
            f"(current: {current or 'empty'}, required: {head}). Run: tiepdon db upgrade"
        )
