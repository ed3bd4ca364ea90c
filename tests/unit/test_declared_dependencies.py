"""Every package the code imports is declared in pyproject.toml, pinned as in constraints.txt, so
none arrives only as someone else's dependency (and leaves with it)."""
import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN = {"backend", "kiosk_client", "printer_drivers", "tests"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_pins(lines) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[canonical(name.split("[")[0])] = version.strip()
    return pins


def imported_distributions(package: str) -> dict[str, str]:
    """distribution → a module of `package` importing it."""
    owners = packages_distributions()
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in OWN:
                    continue
                for dist in owners.get(top, [top]):
                    found.setdefault(canonical(dist), str(path.relative_to(ROOT)))
    return found


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
CORE = requirement_pins(PROJECT["dependencies"])
EXTRAS = {name: requirement_pins(deps) for name, deps in PROJECT["optional-dependencies"].items()}
CONSTRAINTS = requirement_pins((ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines())


def test_the_backend_declares_what_it_imports():
    declared = CORE | EXTRAS["backend"]
    missing = {dist: where for dist, where in imported_distributions("backend").items() if dist not in declared}
    assert not missing, f"imported by the backend but not in [backend] or core dependencies: {missing}"


def test_the_kiosk_and_printer_declare_what_they_import():
    declared = CORE | EXTRAS["kiosk"]
    for package in ("kiosk_client", "printer_drivers"):
        missing = {dist: where for dist, where in imported_distributions(package).items() if dist not in declared}
        assert not missing, f"imported by {package} but not in [kiosk] or core dependencies: {missing}"


def test_every_declared_pin_matches_constraints():
    for group in (CORE, *EXTRAS.values()):
        for dist, version in group.items():
            assert CONSTRAINTS.get(dist) == version, f"{dist}=={version} vs constraints.txt {CONSTRAINTS.get(dist)}"
