"""The production server: gunicorn with threads (Flask-SocketIO's threading mode needs one worker
process per port; websockets each hold a thread, so size the pool above the expected connections)."""
import logging

from gunicorn.app.base import BaseApplication

log = logging.getLogger("tiepdon.server")


class TiepDonServer(BaseApplication):
    def __init__(self, bind: str, threads: int, config: dict | None = None):
        self._bind = bind
        self._threads = threads
        self._config = config
        super().__init__()

    def load_config(self):
        self.cfg.set("bind", self._bind)
        self.cfg.set("workers", 1)
        self.cfg.set("worker_class", "backend.keepalive_worker.KeepAliveThreadWorker")
        self.cfg.set("threads", self._threads)
        self.cfg.set("worker_connections", self._threads * 2)
        self.cfg.set("backlog", 2048)
        self.cfg.set("keepalive", 30)
        # Long-lived websockets must not be killed as "stuck" workers.
        self.cfg.set("timeout", 0)
        self.cfg.set("graceful_timeout", 10)
        # No access log: request lines carry ticket track tokens in query strings.
        self.cfg.set("accesslog", None)
        self.cfg.set("errorlog", "-")
        self.cfg.set("loglevel", "info")

    def load(self):
        import gc

        from . import create_app

        app = create_app(self._config)
        # What start-up built lives as long as the process: keep it out of the collector's full
        # passes, which otherwise stall every thread for 150–700 ms with hundreds of websockets.
        gc.collect()
        gc.freeze()
        return app
