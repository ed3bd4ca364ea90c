"""Tiếp Đón backend: `create_app(config=None, **overrides)` builds the Flask app around the
composition root (backend/app.py, backend/bootstrap.py)."""


def create_app(config: dict | None = None, **overrides):
    """`config`: settings by name over the environment's; `overrides`: adapters that replace what
    the settings would build (see bootstrap.build: publisher, clock, card_checker, his, …)."""
    # lazy: `tiepdon serve` imports this package in gunicorn's master, before the worker's gevent patch
    from .app import create_app as build_app

    return build_app(config, **overrides)
