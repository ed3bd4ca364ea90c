"""Use cases reach storage only through the unit-of-work port: no module under backend/services
imports the database library (DESIGN.md: adapters behind small typed ports)."""
import ast
from pathlib import Path

import backend.services

SERVICES = Path(backend.services.__file__).parent
FORBIDDEN = ("sqlalchemy", "alembic", "psycopg", "psycopg2", "sqlite3")


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):  # walk: function-level imports count too
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.ImportFrom) and node.level > 0 and node.module:
            # A relative import that climbs out of services into the database adapters.
            if node.module.startswith("adapters.db") or ".adapters.db" in f".{node.module}":
                found.append((node.lineno, f"backend.{node.module}"))
    return found


def _is_database(module: str) -> bool:
    return (module.split(".")[0] in FORBIDDEN
            or module.startswith("backend.adapters.db"))


def test_services_import_no_database_library():
    offenders = [
        f"{path.relative_to(SERVICES.parent.parent)}:{line} imports {module}"
        for path in sorted(SERVICES.rglob("*.py"))
        for line, module in _imported_modules(path)
        if _is_database(module)
    ]
    assert offenders == []


def test_the_scan_sees_database_imports(tmp_path):
    """The scan itself: a module-level, a function-level and a relative adapter import are found."""
    sample = tmp_path / "sample.py"
    sample.write_text("import sqlalchemy.exc\n"
                      "def f():\n    from sqlalchemy import select\n"
                      "from ..adapters.db.uow import SqlUnitOfWork\n"
                      "from ..domain.tickets import Ticket\n")
    found = sorted(m for _, m in _imported_modules(sample) if _is_database(m))
    assert found == ["backend.adapters.db.uow", "sqlalchemy", "sqlalchemy.exc"]
