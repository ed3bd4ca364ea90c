"""Socket.IO on the Flask app: namespaces /kiosk /staff /display /patient of API.md, and with
REDIS_URL a Redis message queue so every process reaches every client.

Served by gunicorn's gevent worker, Socket.IO runs on the event loop ("gevent" mode); the Flask
test client and CLI commands have no loop and use the "threading" mode."""
from flask import Flask
from flask_socketio import SocketIO

from ..adapters.cpu_pool import event_loop_active
from ..adapters.realtime import SocketIOPublisher
from ..adapters.realtime.rooms import NAMESPACES
from ..adapters.safe_json import SocketIOJson
from .namespaces import register
from .sweeper import ConnectionSweeper


def init_realtime(app: Flask, container) -> SocketIO:
    settings = container.settings
    deps = container.deps
    hub = container.hub  # built in bootstrap, with the Redis link and its /health probe
    options: dict = {
        "async_mode": "gevent" if event_loop_active() else "threading",
        "logger": False,
        "engineio_logger": False,
        # Clients only send a connect packet with credentials; nothing large ever comes in.
        "max_http_buffer_size": 64 * 1024,
        # Only API.md's namespaces: the default "/" and any other are refused.
        "namespaces": list(NAMESPACES),
        "json": SocketIOJson,  # depth and number size bounded, as for the REST API
    }
    queue = hub.message_queue()
    if queue is not None:
        options["client_manager"] = queue
    socketio = SocketIO(app, **options)
    hub.sio = socketio
    hub.sweeper = ConnectionSweeper(hub, settings.sio_connect_timeout_s)
    register(socketio, hub)
    inner = getattr(deps.publisher, "inner", deps.publisher)  # under adapters.metrics.MeteredPublisher
    if isinstance(inner, SocketIOPublisher):
        inner.attach(hub)
    app.extensions["tiepdon_realtime"] = hub
    return socketio
