"""The patient app (tag "mobile"): phone sign-in by SMS code, the account and its linked patients
(self and family, with consent), today's tickets and invoices. Appointments: appointments_routes.py;
both join the blueprint of mobile_blueprint.py.

Auth: `Authorization: Bearer <token>` from POST /api/v1/auth/otp/verify (security scheme
"patientAccount"). Account tokens start with `pa_`; kiosk device tokens are never accepted here.
"""
from flask import Response, g, request
from flask.views import MethodView

from ..domain.hospital_time import hospital_day
from ..services import accounts
from .guards import client_ip, deps, device_required, limit, patient_account_required
from .mobile_blueprint import ACCOUNT, blp
from .mobile_schemas import (
    FollowersSchema,
    KioskShareCodeSchema,
    LinkCreateSchema,
    LinkSchema,
    LinksSchema,
    MePatchSchema,
    MeSchema,
    MyInvoicesSchema,
    MyTicketsSchema,
    OtpRequestSchema,
    OtpSentSchema,
    OtpVerifySchema,
    RedeemSchema,
    SessionTokenSchema,
    ShareCodeSchema,
    ShareConsentSchema,
)
from .problems import ProblemException
from .schemas import ProblemSchema
from ..presenters.rest import account_json, invoice_brief, iso, link_json, ticket_json

def _consent(body: dict) -> str:
    if not body["consent"]["accepted"]:
        raise ProblemException("CONSENT_REQUIRED")
    return body["consent"]["text_version"]


# -- sign-in ----------------------------------------------------------------------------------


@blp.route("/auth/otp")
class OtpRequest(MethodView):
    @blp.arguments(OtpRequestSchema(), example={"phone": "0912345678"})
    @blp.alt_response(202, schema=OtpSentSchema, success=True, description="Code sent by SMS (valid 5 minutes)")
    def post(self, body):
        """Send a sign-in code by SMS to a Vietnamese mobile number"""
        limit("otp-ip", "rate_otp")
        return accounts.request_otp(deps(), body["phone"], body.get("lang")), 202


@blp.route("/auth/otp/verify")
class OtpVerify(MethodView):
    @blp.arguments(OtpVerifySchema(), example={"phone": "0912345678", "code": "123456"})
    @blp.alt_response(200, schema=SessionTokenSchema, success=True,
                      description="Signed in (the account is created on first sign-in)")
    def post(self, body):
        """Exchange the SMS code for a bearer token. Codes are single-use; 5 wrong guesses kill a code,
        10 in an hour lock the number for 30 minutes."""
        limit("otp-ip", "rate_otp")
        result = accounts.verify_otp(deps(), body["phone"], body["code"], body.get("lang"))
        return {"token": result["token"], "token_type": "Bearer", "expires_at": iso(result["expires_at"]),
                "account": account_json(result["account"])}


# -- the account ------------------------------------------------------------------------------


def _me() -> dict:
    return {"account": account_json(g.account),
            "patients": [link_json(link) for link in accounts.links(deps(), g.account)]}


@blp.route("/me")
class Me(MethodView):
    @blp.doc(security=ACCOUNT)
    @blp.alt_response(200, schema=MeSchema, success=True)
    @patient_account_required
    def get(self):
        """The signed-in account and the patients it follows"""
        return _me()

    @blp.doc(security=ACCOUNT)
    @blp.arguments(MePatchSchema(), example={"notifications": False})
    @blp.alt_response(200, schema=MeSchema, success=True)
    @patient_account_required
    def patch(self, body):
        """Change preferences: `notifications: false` stops every SMS about tickets and appointments"""
        g.account = accounts.update_preferences(deps(), g.account, body.get("notifications"), body.get("language"))
        return _me()


@blp.route("/me/logout")
class Logout(MethodView):
    @blp.doc(security=ACCOUNT)
    @blp.alt_response(204, success=True, description="This token no longer works")
    @patient_account_required
    def post(self):
        """Sign out this phone"""
        accounts.logout(deps(), request.headers["Authorization"][7:].strip())
        return Response(status=204)


@blp.route("/me/patients")
class MyPatients(MethodView):
    @blp.doc(security=ACCOUNT)
    @blp.alt_response(200, schema=LinksSchema, success=True)
    @patient_account_required
    def get(self):
        """Patients this account follows (self and family)"""
        return {"patients": [link_json(link) for link in accounts.links(deps(), g.account)]}

    @blp.doc(security=ACCOUNT)
    @blp.arguments(LinkCreateSchema(), example={
        "manual": {"id_type": "cccd", "number": "001090012345", "name": "Nguyễn Văn An", "dob": "15/08/1990"},
        "consent": {"accepted": True}})
    @blp.alt_response(201, schema=LinkSchema, success=True, description="Linked to the account holder's record")
    @patient_account_required
    def post(self, body):
        """Link my own CCCD or BHYT card (scan of its QR, or typed). BHXH must confirm that number, name
        and birth date belong together; otherwise link at a kiosk with the card (share code)."""
        limit("link", "rate_otp", g.account.id)
        link = accounts.link_self(deps(), g.account, body.get("scan"), body.get("manual"), _consent(body))
        return link_json(link), 201


@blp.route("/me/patients/<link_id>")
class MyPatient(MethodView):
    @blp.doc(security=ACCOUNT)
    @blp.alt_response(204, success=True, description="Unlinked")
    @patient_account_required
    def delete(self, link_id):
        """Stop following a patient"""
        accounts.unlink(deps(), g.account, link_id)
        return Response(status=204)


@blp.route("/me/share-codes")
class MyShareCodes(MethodView):
    @blp.doc(security=ACCOUNT)
    @blp.arguments(ShareConsentSchema(), example={"consent": {"accepted": True}})
    @blp.alt_response(201, schema=ShareCodeSchema, success=True,
                      description="A code (valid 24 h, single use) a relative enters to follow my tickets")
    @patient_account_required
    def post(self, body):
        """Let a relative follow my tickets: my consent, given as a one-time code"""
        code, expires = accounts.share_code_for_family(deps(), g.account, _consent(body))
        return {"code": code, "relation": "family", "expires_at": iso(expires)}, 201


@blp.route("/kiosk/share-codes")
class KioskShareCodes(MethodView):
    @blp.doc(security=[{"device": []}])
    @blp.arguments(KioskShareCodeSchema(), example={"identify_token": "eyJwIjoi…", "relation": "self",
                                                   "consent": {"accepted": True}})
    @blp.alt_response(201, schema=ShareCodeSchema, success=True,
                      description="Shown on the kiosk: self 15 min, family 24 h, single use")
    @blp.alt_response(403, schema=ProblemSchema, content_type="application/problem+json",
                      description="IDENTITY_NOT_VERIFIED: the identify_token came from a typed number, "
                                  "not a scanned card")
    @device_required
    def post(self, body):
        """At a kiosk, card in hand: a code to link my phone (self) or to let a relative follow me (family)"""
        code, expires = accounts.share_code_at_kiosk(deps(), g.device.id, body["identify_token"], body["relation"],
                                                     _consent(body))
        return {"code": code, "relation": body["relation"], "expires_at": iso(expires)}, 201


@blp.route("/me/family")
class MyFamily(MethodView):
    @blp.doc(security=ACCOUNT)
    @blp.arguments(RedeemSchema(), example={"code": "KQ7M-3XWD"})
    @blp.alt_response(201, schema=LinkSchema, success=True)
    @patient_account_required
    def post(self, body):
        """Enter a share code from a relative (or from a kiosk) to follow that patient"""
        limit("share-redeem-ip", "rate_otp")  # per address first: new accounts from one place add nothing
        limit("share-redeem", "rate_otp", f"{g.account.id}|{client_ip()}")
        return link_json(accounts.redeem_share_code(deps(), g.account, body["code"])), 201


@blp.route("/me/followers")
class MyFollowers(MethodView):
    @blp.doc(security=ACCOUNT)
    @blp.alt_response(200, schema=FollowersSchema, success=True)
    @patient_account_required
    def get(self):
        """Who follows my tickets (each with my consent)"""
        return {"followers": [{"id": f["id"], "phone_masked": f["phone_masked"], "since": iso(f["since"])}
                              for f in accounts.followers(deps(), g.account)]}


@blp.route("/me/followers/<link_id>")
class MyFollower(MethodView):
    @blp.doc(security=ACCOUNT)
    @blp.alt_response(204, success=True, description="Consent withdrawn: they see nothing from now on")
    @patient_account_required
    def delete(self, link_id):
        """Withdraw a relative's access to my tickets"""
        accounts.revoke_follower(deps(), g.account, link_id)
        return Response(status=204)


# -- following today --------------------------------------------------------------------------


@blp.route("/me/tickets")
class MyTickets(MethodView):
    @blp.doc(security=ACCOUNT)
    @blp.alt_response(200, schema=MyTicketsSchema, success=True,
                      description="Today's tickets of every followed patient; join Socket.IO /patient "
                                  "with {ticket: id, token: track_token} to follow one live")
    @patient_account_required
    def get(self):
        """Today's tickets of me and my family"""
        d = deps()
        out = []
        for item in accounts.my_tickets(d, g.account):
            body = ticket_json(item.view, d.catalog, d.public_url)
            body["patient"] = link_json(item.link)
            out.append(body)
        return {"date": hospital_day(d.clock()).isoformat(), "tickets": out}


@blp.route("/me/invoices")
class MyInvoices(MethodView):
    @blp.doc(security=ACCOUNT)
    @blp.alt_response(200, schema=MyInvoicesSchema, success=True,
                      description="Today's invoices; pay with POST /api/v1/invoices/{id}/vnpay|vietqr?token=")
    @patient_account_required
    def get(self):
        """Today's invoices of me and my family"""
        d = deps()
        out = []
        for item in accounts.my_invoices(d, g.account):
            body = invoice_brief(item.invoice, d.catalog.cashier)
            body.update(ticket_id=item.invoice.ticket_id, visit_id=item.invoice.visit_id,
                        track_token=item.track_token, patient=link_json(item.link))
            out.append(body)
        return {"date": hospital_day(d.clock()).isoformat(), "invoices": out}
