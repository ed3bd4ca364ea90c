"""gevent's monkey-patching for the commands that serve, done before anything else is imported.

gevent must patch the standard library before other modules take references to it: urllib3, for
one, keeps ssl.SSLContext from import time, and an unpatched TLS socket would block the whole event
loop on every HTTPS call to BHXH, the HIS or VNPay. gunicorn's gevent worker patches again in the
worker (a no-op then); patching gunicorn's master as well is what gunicorn documents for gevent
with anything loaded before the fork.
"""
SERVING_COMMANDS = ("serve",)  # the demo runs `serve` as a child process


def patch_if_serving(argv: list[str]) -> bool:
    if len(argv) < 2 or argv[1] not in SERVING_COMMANDS:
        return False
    from gevent import monkey  # lazy: only `serve` patches, and before anything else is imported

    monkey.patch_all()
    return True
