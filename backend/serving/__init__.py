"""How `tiepdon serve` puts the app on the network: gunicorn's gevent worker (Flask-SocketIO's
documented deployment), so an open connection costs memory, not a thread; every client address is
capped, and slow or silent clients are timed out before they can hold a place."""
