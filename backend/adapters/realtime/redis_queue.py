"""Flask-SocketIO's message queue over Redis, so an event raised in one backend process reaches
clients connected to any other.

It is python-socketio's pub/sub manager with the two transport hooks written for a hospital: a
publish never waits on a dead Redis (the shared breaker answers at once) and says which room lost
the event so it can be resynchronised later, and the listener reconnects within seconds of Redis
coming back instead of backing off for up to a minute.
"""
import logging
import time
from typing import Callable

from redis.exceptions import RedisError
from socketio.pubsub_manager import PubSubManager

from . import redis_link
from .redis_link import RedisLink, RedisUnavailable

log = logging.getLogger("tiepdon.realtime.redis")

CHANNEL = "tiepdon-socketio"
LISTEN_PAUSE_MAX_S = 2.0


class RedisQueue(PubSubManager):
    name = "redis"

    def __init__(self, link: RedisLink, channel: str = CHANNEL,
                 on_lost: Callable[[str, str], None] | None = None,
                 on_resubscribed: Callable[[], None] | None = None):
        super().__init__(channel=channel, logger=log)
        self.link = link
        self.on_lost = on_lost
        self.on_resubscribed = on_resubscribed
        self.lost = 0

    def _publish(self, data):
        payload = self.json.dumps(data)
        try:
            self.link.run(lambda c: c.publish(self.channel, payload))
        except RedisUnavailable:
            # This process's own clients already have it (PubSubManager delivers locally first);
            # the other processes' clients get a fresh state once Redis is back.
            self.lost += 1
            if self.on_lost is not None and data.get("method") == "emit" and data.get("room"):
                self.on_lost(data.get("namespace") or "/", data["room"])

    def _listen(self):
        pause = 0.1
        deaf = False  # Redis pub/sub keeps nothing: whatever was published meanwhile is gone
        while True:
            pubsub = None
            try:
                # No read timeout here: an idle channel is normal. The health check pings it.
                client = redis_link.connect(self.link.url, socket_timeout=None,
                                            health_check_interval=5)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                self.link.mark_up()
                pause = 0.1
                if deaf and self.on_resubscribed is not None:
                    self.on_resubscribed()
                deaf = False
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if message and message.get("type") == "message":
                        yield message["data"]
            except (RedisError, OSError) as exc:
                deaf = True
                self.link.mark_down(exc)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:  # the connection is already broken; nothing to release
                        pass
            time.sleep(pause)
            pause = min(pause * 2, LISTEN_PAUSE_MAX_S)
