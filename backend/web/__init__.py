"""The pages people look at: staff dashboard, lobby display (TV), patient tracking page.

Routes here only render a template. Every figure on a page comes from the REST API and the
Socket.IO namespaces, exactly as API.md describes them, so the pages show what any other client
would see and nothing more. Scripts, fonts and sounds are served from static/: no CDN, because the
hospital network may have no Internet at all.
"""
import hashlib
import os
from functools import lru_cache

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, url_for

HERE = os.path.dirname(os.path.abspath(__file__))
STATIC = os.path.join(HERE, "static")

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/web/static")

# Pages only ever talk to their own server. connect-src 'self' covers the Socket.IO websocket of
# the same host in current browsers.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; media-src 'self'; connect-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@lru_cache(maxsize=256)
def _fingerprint(filename: str) -> str:
    path = os.path.join(STATIC, filename)
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()[:10]
    except OSError:
        return "0"


def asset(filename: str) -> str:
    """URL of a static file with its content hash, so a TV left on for weeks picks up new code
    after a reload instead of a stale cached copy."""
    return url_for("web.static", filename=filename, v=_fingerprint(filename))


def _catalog():
    return current_app.extensions["tiepdon"].deps.catalog


@bp.after_request
def _page_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CSP
        # The tracking page's URL carries the ticket's token: never hand it on to anyone.
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(404)
def _not_found(_exc):
    # A person typed or scanned this address: a page in their language, not problem+json.
    return render_template("web/not_found.html"), 404


@bp.get("/")
def index():
    return redirect(url_for("web.dashboard"))


@bp.get("/staff/login")
def login():
    return render_template("web/login.html")


@bp.get("/staff/")
def dashboard():
    return render_template("web/dashboard.html")


@bp.get("/staff/points/<point_code>")
def point(point_code: str):
    if point_code not in _catalog().points:
        abort(404)
    return render_template("web/point.html", point_code=point_code)


@bp.get("/staff/cashier")
def cashier():
    return render_template("web/cashier.html")


@bp.get("/staff/stats")
def stats():
    return render_template("web/stats.html")


@bp.get("/display/<area>")
def display(area: str):
    if area not in _catalog().displays:
        abort(404)
    return render_template("web/display.html", area=area)


@bp.get("/t/<ticket_id>")
def track(ticket_id: str):
    # The token is checked by the API and the /patient namespace; the page itself holds no data.
    return render_template("web/track.html", ticket_id=ticket_id)


def init_web(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["asset"] = asset
