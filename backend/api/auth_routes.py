"""Staff sign-in: a session cookie plus a CSRF token the pages send back on every write."""
from flask import session
from flask.views import MethodView

from ..services import auth as auth_service
from .blueprint import Blueprint
from .guards import client_ip, current_staff, deps, limit, new_csrf
from .schemas import LoginSchema, SessionSchema

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Staff sessions")


def _session_body(member) -> dict:
    return {
        "staff": {"username": member.username, "full_name": member.full_name, "role": member.role,
                  "service_points": sorted(member.points)},
        "csrf_token": session.get("csrf") or new_csrf(),
    }


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(LoginSchema())
    @blp.alt_response(200, schema=SessionSchema, success=True)
    def post(self, body):
        """Staff login → session cookie + CSRF token"""
        # Both before the password is hashed: the address across usernames first (a flood of made-up
        # names), then address + username (guessing one account); keyed with the address, so a
        # flood from one place never locks the username out for the staff member at their desk.
        limit("login-ip", "rate_login_ip")
        limit("login", "rate_login", f"{client_ip()}|{body['username'].lower()}")
        member = auth_service.authenticate(deps(), body["username"], body["password"])
        session.clear()
        session.permanent = True
        session["staff_id"] = member.id
        session["sv"] = member.session_version
        new_csrf()
        return _session_body(member)


@blp.route("/logout")
class Logout(MethodView):
    @blp.alt_response(204, description="Signed out everywhere", success=True)
    def post(self):
        """End the staff session (every copy of it)"""
        member = current_staff()
        auth_service.logout(deps(), member.id)
        session.clear()
        return "", 204


@blp.route("/me")
class Me(MethodView):
    @blp.alt_response(200, schema=SessionSchema, success=True)
    def get(self):
        """The signed-in staff member and their CSRF token"""
        return _session_body(current_staff())
