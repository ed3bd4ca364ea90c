"""A real `tiepdon serve` (gunicorn's gevent worker) on a prepared SQLite database, and raw clients
that connect from chosen loopback addresses (127.0.0.0/8 is all local on Linux)."""
import asyncio

import pytest

from tests.integration.realtime.live import Http, prepare_db
from tests.support.servers import ServerProcess


class Served:
    def __init__(self, db_url: str, **env):
        self.token = prepare_db(db_url)
        self.server = ServerProcess(db_url, **env).start()
        self.url = self.server.url
        self.port = self.server.port

    def http(self) -> Http:
        return Http(self.url, self.token)

    def stop(self):
        self.server.stop()


@pytest.fixture
def serve(sqlite_url):
    """serve(**env) starts a server with those settings; stopped after the test."""
    started = []

    def start(**env):
        s = Served(sqlite_url, **env)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


WS_UPGRADE = ("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")


async def open_raw(port: int, source: str, first_bytes: str, read_status: bool, timeout: float = 15):
    """One TCP connection from `source` that sends `first_bytes`; returns (status or None, writer).
    With read_status, waits for the response's status line (None if the server closed first)."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0)), timeout)
    writer.write(first_bytes.encode())
    await writer.drain()
    status = None
    if read_status:
        line = await asyncio.wait_for(reader.readline(), timeout)
        status = int(line.split()[1]) if line.startswith(b"HTTP/1.1 ") else None
    return status, reader, writer
