"""The realtime publisher (Socket.IO, optionally through Redis) behind services/ports/realtime.py."""
from .hub import RealtimeHub
from .socketio_publisher import SocketIOPublisher

__all__ = ["RealtimeHub", "SocketIOPublisher"]
