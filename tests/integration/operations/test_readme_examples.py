"""The README's tour says what really happens: its error example answers what it shows, and the
commands it gives after `make run` are typed the way `make run` leaves them (not on PATH)."""
import json
import os
import re
import subprocess
import sys

from tests.support.app import make_backend

README = os.path.join(os.path.dirname(__file__), "..", "..", "..", "README.md")


def readme() -> str:
    with open(README, encoding="utf-8") as fh:
        return fh.read()


def test_the_error_example_answers_what_the_readme_shows(sqlite_url):
    text = readme()
    example = re.search(r"Accept-Language: en' \\\n.*-d '(\{.*\})'\n# → (\{.*\})\n", text)
    assert example, "the README's error example is missing"
    body = json.loads(example.group(1))
    shown = json.loads(example.group(2).replace("…", "").replace(", }", "}").replace('"…/', '"/'))
    backend = make_backend(sqlite_url)
    r = backend.client().post("/api/v1/tickets", json=body, headers=backend.kiosk_headers(**{"Accept-Language": "en"}))
    answer = r.get_json()
    assert r.status_code == shown["status"]
    assert answer["code"] == shown["code"] and answer["title"] == shown["title"]
    assert answer["type"].endswith(shown["type"].lstrip("/"))


def test_commands_after_make_run_use_the_virtualenvs_tiepdon():
    text = readme()
    tour = text[text.index("## A tour"):text.index("## Check-in with a card")]
    assert ".venv/bin/tiepdon pay vnpay N001" in tour
    assert not re.search(r"(?<![/\w])tiepdon pay", tour)


def test_check_config_takes_the_path_the_readme_gives_from_anywhere_without_settings(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    assert "`tiepdon check-config path/to/copy.toml`" in readme()
    copy = tmp_path / "copy.toml"
    copy.write_bytes(open(os.path.join(root, "config", "hospital.toml"), "rb").read())
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": root}  # no SECRET_KEY, no TIEPDON_CONFIG
    done = subprocess.run([sys.executable, "-m", "backend.cli", "check-config", str(copy)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: Bệnh viện Đa khoa huyện Sông Cầu")
