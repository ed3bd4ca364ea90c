"""Socket.IO on the Flask app (threading mode): namespaces /kiosk /staff /display /patient of
API.md, and with REDIS_URL a Redis message queue so every process reaches every client."""
from flask import Flask
from flask_socketio import SocketIO


def init_realtime(app: Flask, container) -> SocketIO:
    from ..adapters.realtime import RealtimeHub, SocketIOPublisher
    from ..adapters.safe_json import SocketIOJson
    from .namespaces import register

    settings = container.settings
    deps = container.deps
    hub = RealtimeHub(deps, settings.redis_url, settings.long_wait_check_s)
    options: dict = {
        "async_mode": "threading",
        "logger": False,
        "engineio_logger": False,
        # Clients only send a connect packet with credentials; nothing large ever comes in.
        "max_http_buffer_size": 64 * 1024,
        "json": SocketIOJson,  # depth and number size bounded, as for the REST API
    }
    queue = hub.message_queue()
    if queue is not None:
        options["client_manager"] = queue
    socketio = SocketIO(app, **options)
    hub.sio = socketio
    register(socketio, hub)
    if isinstance(deps.publisher, SocketIOPublisher):
        deps.publisher.attach(hub)
    if hub.link is not None:
        app.extensions.setdefault("tiepdon_health", {})["redis"] = hub.link.probe
    app.extensions["tiepdon_realtime"] = hub
    return socketio
