"""Development only: the in-memory SMS outbox. Registered only with TIEPDON_DEV_SMS=1 (`tiepdon demo`
sets it), so a production server has no such route at all — not even in its OpenAPI document."""
from flask.views import MethodView

from ..services import accounts
from .blueprint import Blueprint
from .guards import deps, staff_required
from .mobile_schemas import OutboxSchema
from .problems import ProblemException
from ..presenters.rest import iso

blp = Blueprint("dev", __name__, url_prefix="/api/v1",
                description="Development only (TIEPDON_DEV_SMS=1): the SMS the server would have sent")


@blp.route("/dev/sms-outbox")
class SmsOutbox(MethodView):
    @blp.doc(security=[{"staffSession": []}])
    @blp.alt_response(200, schema=OutboxSchema, success=True,
                      description="The last messages kept by the development SMS sink")
    @staff_required("admin")
    def get(self):
        """SMS the development sink kept instead of sending (admin, TIEPDON_DEV_SMS=1 only)"""
        outbox = accounts.mobile_of(deps()).outbox
        if outbox is None:
            raise ProblemException("NOT_FOUND")
        return {"messages": [{"id": m.id, "to_masked": m.to_masked, "kind": m.kind, "text": m.text,
                              "at": iso(m.at)} for m in reversed(outbox.messages())]}
