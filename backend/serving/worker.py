"""gunicorn's gevent worker with a cap on open connections per client address.

The cap is taken at the socket, before a byte of the request is read, so a client that opens
connections and sends nothing (slowloris) or holds websockets is stopped at the limit, and the
connections over it are answered 429 at once instead of hanging. Connections from a trusted proxy
are not capped here (every client behind it shares its address); the app's request guard caps
those by the forwarded client address instead (see wsgi_guard.py).
"""
import socket

import gevent
from gunicorn.workers.ggevent import GeventWorker

from .client_cap import ClientCap
from .refusals import raw_http_refusal

# A refused client gets this long to read the answer before its socket is closed.
REFUSAL_LINGER_S = 1.0


class TiepDonGeventWorker(GeventWorker):
    def init_process(self):
        # lazy: the worker class is loaded in the master; the app side is imported after the fork
        from ..client_address import is_trusted_proxy
        from ..settings import Settings

        settings = Settings.from_env()
        self.client_cap = ClientCap(settings.max_connections_per_client)
        self.is_trusted_proxy = lambda peer: is_trusted_proxy(peer, settings.trusted_proxies)
        super().init_process()

    def handle(self, listener, client, addr):
        address = addr[0] if isinstance(addr, tuple) else "local"
        if self.is_trusted_proxy(address):
            return super().handle(listener, client, addr)
        if not self.client_cap.try_open(address):
            return _refuse(client)
        try:
            return super().handle(listener, client, addr)
        finally:
            self.client_cap.close(address)


def _refuse(client: socket.socket) -> None:
    """Say why and close. The request is never read: the answer goes first, then what the client
    sent is drained briefly so that closing does not reset the connection under the answer."""
    try:
        client.setblocking(True)
        client.sendall(raw_http_refusal("TOO_MANY_CONNECTIONS"))
        client.shutdown(socket.SHUT_WR)
        with gevent.Timeout(REFUSAL_LINGER_S, False):
            while client.recv(4096):
                pass
    except OSError:
        pass
    finally:
        client.close()
