"""The Node test client: installed from npm (package-lock.json) the first time it is needed."""
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.realtime.live import prepare_db
from tests.support.servers import ServerProcess

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def node_client() -> list[str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "Node.js 18+ and npm are needed for the socket.io-client test (see README)"
    if not (HERE / "node_modules" / "socket.io-client" / "package.json").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=240,
                       stdout=subprocess.DEVNULL)
    return [node, str(HERE / "client.mjs")]


@pytest.fixture
def server(sqlite_url):
    token = prepare_db(sqlite_url)
    s = ServerProcess(sqlite_url).start()
    s.device_token = token
    yield s
    s.stop()
