"""deploy/systemd: systemd's own checker accepts the units (their paths pointed at this machine's
`tiepdon`), and each names what docs/deploy.md promises: port, environment file, file limit,
Prometheus's shared directory. deploy/logrotate: logrotate reads the file without complaint."""
import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.app import ROOT

UNITS = Path(ROOT) / "deploy" / "systemd"
TIEPDON = Path(sys.executable).parent / "tiepdon"


def rendered(tmp: Path) -> list[Path]:
    env = tmp / "tiepdon.env"
    env.write_text((Path(ROOT) / "deploy" / "tiepdon.env.example").read_text())
    out = []
    for unit, name in (("tiepdon.service", "tiepdon.service"),
                       ("tiepdon-worker@.service", "tiepdon-worker@8001.service")):
        text = (UNITS / unit).read_text()
        assert "/opt/tiepdon/venv/bin/tiepdon serve" in text and "/etc/tiepdon/tiepdon.env" in text
        text = text.replace("/opt/tiepdon/venv/bin/tiepdon", str(TIEPDON)).replace("/etc/tiepdon/tiepdon.env", str(env))
        (tmp / name).write_text(text)
        out.append(tmp / name)
    return out


def parsed(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str
    parser.read_string(path.read_text())
    return parser


def test_systemd_accepts_the_units(tmp_path):
    units = rendered(tmp_path)
    assert TIEPDON.exists()
    analyze = shutil.which("systemd-analyze")
    if analyze:
        r = subprocess.run([analyze, "verify", *map(str, units)], capture_output=True, text=True, timeout=60)
        complaints = [line for line in (r.stdout + r.stderr).splitlines()
                      if any(u.name in line for u in units)]
        assert r.returncode == 0 and complaints == [], r.stdout + r.stderr
    for unit in units:  # and, with or without systemd, what each must say
        service = parsed(unit)["Service"]
        assert service["Type"] == "simple" and service["User"] == "tiepdon"
        assert service["LimitNOFILE"] == "65536"
        assert service["Environment"] == "PROMETHEUS_MULTIPROC_DIR=/run/tiepdon/metrics"
        assert service["Restart"] == "on-failure"
    assert parsed(units[0])["Service"]["ExecStart"].endswith("serve --host 127.0.0.1 --port 8000")
    assert parsed(units[1])["Service"]["ExecStart"].endswith("serve --host 127.0.0.1 --port %i")
    assert parsed(units[1])["Unit"]["PartOf"] == "tiepdon.service"


def test_logrotate_reads_the_file(tmp_path):
    conf = (Path(ROOT) / "deploy" / "logrotate" / "tiepdon").read_text()
    assert "/var/log/tiepdon/*.log" in conf and "copytruncate" in conf
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "server.log").write_text("x\n")
    local = conf.replace("/var/log/tiepdon", str(logs)).replace("su tiepdon tiepdon", f"su root {_group()}")
    (tmp_path / "tiepdon").write_text(local)
    logrotate = shutil.which("logrotate") or "/usr/sbin/logrotate"
    assert os.path.exists(logrotate), "logrotate is missing: run `make test`"
    r = subprocess.run([logrotate, "-d", "-s", str(tmp_path / "state"), str(tmp_path / "tiepdon")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "error" not in r.stderr.lower(), r.stderr
    assert "server.log" in r.stderr + r.stdout


def _group() -> str:
    import grp  # lazy: POSIX only, like logrotate

    return grp.getgrgid(os.getgid()).gr_name
