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
