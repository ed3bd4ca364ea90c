"""Security headers on every response, as the outermost WSGI layer: Flask's after_request never sees
what the Socket.IO middleware answers (long-polling) nor what fails before a blueprint is chosen.

- every response: `X-Content-Type-Options: nosniff` (a JSON or text answer is never run as script);
- every HTML document: `X-Frame-Options: DENY`, and the pages' CSP when the route set none (the
  VNPay return page, werkzeug's own error pages).
"""
from . import CSP


class SecurityHeaders:
    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        def with_headers(status, headers, exc_info=None):
            names = {name.lower(): value for name, value in headers}
            extra = []
            if "x-content-type-options" not in names:
                extra.append(("X-Content-Type-Options", "nosniff"))
            if names.get("content-type", "").split(";")[0].strip().lower() == "text/html":
                if "x-frame-options" not in names:
                    extra.append(("X-Frame-Options", "DENY"))
                if "content-security-policy" not in names:
                    extra.append(("Content-Security-Policy", CSP))
            return start_response(status, list(headers) + extra, exc_info)

        return self.wsgi_app(environ, with_headers)


def init_security_headers(app) -> None:
    """Call last, after Socket.IO has wrapped the app."""
    app.wsgi_app = SecurityHeaders(app.wsgi_app)
