"""The layer rules of docs/architecture.md, enforced: import-linter's contracts in `.importlinter`
(domain pure; services behind ports; presenters render only; adapters and realtime never import
api, so api and adapters cannot import each other), and no function-level import without a reason."""
import ast
import configparser
import os

import pytest
from importlinter import configuration
from importlinter.application.use_cases import lint_imports

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, ".importlinter")
BACKEND = os.path.join(ROOT, "backend")


def _contracts() -> list[str]:
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    return [s.split(":", 2)[2] for s in parser.sections() if s.startswith("importlinter:contract:")]


def test_every_rule_of_the_issue_is_a_contract():
    assert set(_contracts()) == {"domain-pure", "services-behind-ports", "presenters-render-only",
                                 "adapters-and-realtime-not-api"}


@pytest.mark.parametrize("contract", _contracts())
def test_layer_contract_is_kept(contract, capsys):
    configuration.configure()  # what the `lint-imports` command does first: its readers and graph builder
    kept = lint_imports(CONFIG, limit_to_contracts=(contract,), cache_dir=None, no_logo=True)
    assert kept, capsys.readouterr().out  # the report names each forbidden import and its line


def _unexplained_lazy_imports() -> list[str]:
    found = []
    for folder, _, files in os.walk(BACKEND):
        for name in files:
            path = os.path.join(folder, name)
            if not name.endswith(".py") or "migrations" in path:
                continue
            with open(path, encoding="utf-8") as fh:
                source = fh.read()
            lines = source.splitlines()
            for fn in ast.walk(ast.parse(source)):
                if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for node in ast.walk(fn):
                    if isinstance(node, (ast.Import, ast.ImportFrom)) and not _explained(lines, node.lineno):
                        found.append(f"{os.path.relpath(path, ROOT)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    return found


def _explained(lines: list[str], lineno: int) -> bool:
    """`# lazy: reason` on the import's line, or on the comment line opening its block of imports."""
    i = lineno - 1
    if "# lazy:" in lines[i]:
        return True
    while i > 0 and lines[i - 1].strip().startswith(("from ", "import ")):
        i -= 1
    return i > 0 and lines[i - 1].strip().startswith("# lazy:")


def test_function_level_imports_each_say_why_they_are_lazy():
    assert _unexplained_lazy_imports() == []
