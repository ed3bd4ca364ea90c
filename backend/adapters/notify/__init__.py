"""Notifier adapters: an HTTP SMS gateway for production, a console/in-memory sink for the demo."""
from .dev_sink import DevSmsSink
from .http_sms import HttpSmsGateway

__all__ = ["DevSmsSink", "HttpSmsGateway"]
