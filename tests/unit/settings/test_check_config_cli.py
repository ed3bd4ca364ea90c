"""`tiepdon check-config [PATH]` validates a copy of the hospital file before it goes live."""
from click.testing import CliRunner

from backend.cli import main
from tests.support.app import CONFIG
from tests.unit.settings.hospital_text import GOOD, line_of


def run(*args, env=None):
    return CliRunner().invoke(main, ["check-config", *args], env=env or {})


def test_check_config_takes_a_path(tmp_path):
    path = tmp_path / "copy.toml"
    path.write_text(GOOD, encoding="utf-8")
    done = run(str(path))
    assert done.exit_code == 0, done.output
    assert "OK: Bệnh viện thử — 2 dịch vụ/services, 1 quầy-phòng/service points" in done.output


def test_check_config_reports_the_line_and_key_of_a_mistake(tmp_path):
    text = GOOD.replace("fee_vnd = 39000", "fee_vnd = -1")
    path = tmp_path / "copy.toml"
    path.write_text(text, encoding="utf-8")
    done = run(str(path))
    assert done.exit_code == 2
    assert str(path) in done.output
    assert f"line {line_of(text, 'fee_vnd = -1')}" in done.output and "services[0].fee_vnd" in done.output


def test_check_config_checks_the_other_sections_too(tmp_path):
    text = GOOD.replace('service = "KHAM-NOI"', 'service = "MAT"')
    path = tmp_path / "copy.toml"
    path.write_text(text, encoding="utf-8")
    done = run(str(path))
    assert done.exit_code == 2 and "appointments.services[0].service" in done.output


def test_check_config_without_a_path_reads_the_configured_file(tmp_path):
    done = run(env={"TIEPDON_CONFIG": CONFIG})
    assert done.exit_code == 0 and done.output.startswith("OK: Bệnh viện Đa khoa huyện Sông Cầu")
    path = tmp_path / "broken.toml"
    path.write_text(GOOD.replace("[hospital]", "[hospital"), encoding="utf-8")
    done = run(env={"TIEPDON_CONFIG": str(path)})
    assert done.exit_code == 2 and "line 1" in done.output


def test_check_config_refuses_a_missing_file(tmp_path):
    done = run(str(tmp_path / "nowhere.toml"))
    assert done.exit_code == 2 and "nowhere.toml" in done.output and "configuration error" in done.output


def test_a_command_with_a_bad_hospital_file_says_where_without_a_traceback(tmp_path):
    from backend.adapters.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'tiepdon.db'}"
    upgrade(url)
    text = GOOD.replace('clinic = "Mon-Fri 07:00-11:30"', 'clinic = "Mon-Fri 7h-11h"')
    path = tmp_path / "hospital.toml"
    path.write_text(text, encoding="utf-8")
    done = CliRunner().invoke(main, ["device", "list"], env={
        "DATABASE_URL": url, "SECRET_KEY": "s" * 40, "TIEPDON_CONFIG": str(path)})
    assert done.exit_code == 2, done.output
    assert f"line {line_of(text, 'clinic = ')}, hours.clinic" in done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
