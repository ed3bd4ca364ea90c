"""`tiepdon serve`: gunicorn with its gevent worker, the deployment Flask-SocketIO documents for
production. One worker process per port (Socket.IO sessions live in the process that opened them;
more processes sit behind a sticky balancer with Redis as the message queue)."""
import gc
import logging
import resource

from gunicorn.app.base import BaseApplication

log = logging.getLogger("tiepdon.server")

# The cyclic collector's thresholds in the served process (see docs/serving.md, "Garbage
# collection"): thousands of open connections are millions of long-lived objects, and with
# CPython's defaults a full pass over them (1–2 s at 10,000 connections) ran every minute or so,
# stalling every client. A larger young generation lets request-scoped objects die before they are
# ever promoted, so full passes become rare; a small middle generation keeps its passes short.
# 10,000 rather than 50,000: both held 10,000 connections alike, and the smaller young passes kept
# the open-loop ticket p99 at 13 ms instead of 16–17 ms.
GC_THRESHOLDS = (10_000, 5, 10)


def raise_open_file_limit() -> int:
    """Every connection is a file descriptor: take all the process may have (the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    return soft


class TiepDonServer(BaseApplication):
    def __init__(self, bind: str, settings, config: dict | None = None):
        self._bind = bind
        self._settings = settings
        self._config = config
        super().__init__()

    def load_config(self):
        s = self._settings
        files = raise_open_file_limit()
        self.cfg.set("bind", self._bind)
        self.cfg.set("workers", 1)
        self.cfg.set("worker_class", "backend.serving.worker.TiepDonGeventWorker")
        # Leave room under the descriptor limit for the database, Redis and outside systems.
        self.cfg.set("worker_connections", max(100, min(s.max_connections, files - 256)))
        self.cfg.set("backlog", 2048)
        # In the gevent worker this bounds reading each request's headers as well as the idle time
        # of a kept-alive connection between requests (gunicorn's timeout_ctx).
        self.cfg.set("keepalive", s.header_timeout_s)
        # The worker reports to the arbiter from the event loop once a second: a loop blocked this
        # long is stuck, and the arbiter replaces the worker.
        self.cfg.set("timeout", 60)
        self.cfg.set("graceful_timeout", 10)
        self.cfg.set("control_socket_disable", True)  # no admin socket: one fixed path for every server
        # No access log: request lines carry ticket track tokens in query strings.
        self.cfg.set("accesslog", None)
        self.cfg.set("errorlog", "-")
        self.cfg.set("loglevel", "info")
        # Prometheus multiprocess mode (PROMETHEUS_MULTIPROC_DIR): files of processes gone are
        # removed at start, and a worker that exits stops counting in the live gauges.
        self.cfg.set("on_starting", _clear_stale_metrics)
        self.cfg.set("child_exit", _worker_exited)

    def load(self):
        from .. import create_app  # lazy: in the worker, after gevent patched it

        app = create_app(self._config)
        # What start-up built lives as long as the process: keep it out of the collector's full
        # passes, which otherwise stall every connection for 150–700 ms with thousands of sockets.
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        return app


def _clear_stale_metrics(_server) -> None:
    from ..adapters.metrics_files import clear_stale_files  # lazy: gunicorn's master stays light until here

    clear_stale_files()


def _worker_exited(_server, worker) -> None:
    from ..adapters.metrics_files import process_exited  # lazy: gunicorn's master stays light until here

    process_exited(worker.pid)
