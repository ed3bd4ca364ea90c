"""The outermost WSGI layer: caps open requests per client address and bounds how long a client
may take to send a request body.

Behind a trusted proxy every connection comes from the proxy's address, so the socket-level cap
(worker.py) cannot tell clients apart; here the client address is the one the proxy forwarded
(request.remote_addr after the proxy fix). A websocket or a long-poll is an open request for as long
as it lasts, so this counts what each client holds open.
"""
import time

from .client_cap import ClientCap
from .refusals import RETRY_AFTER_S, language, problem_body


class BodyTooSlow(Exception):
    pass


class RequestGuard:
    def __init__(self, app, limit: int, body_timeout_s: float, timeout_factory):
        self.app = app
        self.cap = ClientCap(limit)
        self.body_timeout_s = body_timeout_s
        self.timeout_factory = timeout_factory  # gevent.Timeout: interrupts a blocked read

    def __call__(self, environ, start_response):
        address = environ.get("REMOTE_ADDR") or "local"
        if not self.cap.try_open(address):
            return _refuse(environ, start_response, "TOO_MANY_CONNECTIONS")
        if _has_body(environ):
            environ["wsgi.input"] = DeadlineInput(environ["wsgi.input"], self.body_timeout_s,
                                                  self.timeout_factory)
        try:
            result = self.app(environ, start_response)
        except BodyTooSlow:  # outside Flask (a Socket.IO long-poll POST); Flask answers its own
            self.cap.close(address)
            return _refuse(environ, start_response, "REQUEST_TIMEOUT")
        except BaseException:
            self.cap.close(address)
            raise
        return _ClosingBody(result, lambda: self.cap.close(address))


def _has_body(environ) -> bool:
    if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
        return False
    length = environ.get("CONTENT_LENGTH") or "0"
    return length not in ("", "0") or "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()


def _refuse(environ, start_response, code: str):
    status, body = problem_body(code, language(environ.get("HTTP_ACCEPT_LANGUAGE")))
    start_response(f"{status} {'Too Many Requests' if status == 429 else 'Request Timeout'}", [
        ("Content-Type", "application/problem+json"), ("Content-Length", str(len(body))),
        ("Retry-After", str(RETRY_AFTER_S)), ("X-Content-Type-Options", "nosniff"),
    ])
    return [body]


class DeadlineInput:
    """wsgi.input whose reads all end by one deadline, counted from the first byte asked for: a
    client trickling a body a byte at a time cannot hold its place past body_timeout_s."""

    def __init__(self, stream, timeout_s: float, timeout_factory):
        self._stream = stream
        self._timeout_s = timeout_s
        self._timeout_factory = timeout_factory
        self._deadline: float | None = None

    def _bounded(self, call, *args):
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self._timeout_s
        left = self._deadline - now
        if left <= 0:
            raise BodyTooSlow()
        with self._timeout_factory(left, BodyTooSlow()):
            return call(*args)

    def read(self, *args):
        return self._bounded(self._stream.read, *args)

    def readline(self, *args):
        return self._bounded(self._stream.readline, *args)

    def readlines(self, *args):
        return self._bounded(self._stream.readlines, *args)

    def __iter__(self):
        return iter(self.readline, b"")


class _ClosingBody:
    """The app's response iterable, telling the guard when the server is done with it."""

    def __init__(self, body, on_close):
        self._body = body
        self._on_close = on_close
        self._closed = False

    def __iter__(self):
        return iter(self._body)

    def close(self):
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._on_close()
