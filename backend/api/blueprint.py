"""flask-smorest's Blueprint with our request parser, and Flask's JSON provider: every route's JSON
body is read with the limits of adapters/safe_json."""
import typing

import flask
import flask_smorest
from flask.json.provider import DefaultJSONProvider
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from ..adapters import safe_json


class BoundedParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> typing.Any:
        if not is_json_request(req):
            return core.missing
        return safe_json.loads(req.get_data(cache=True))


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = BoundedParser()


class BoundedJSONProvider(DefaultJSONProvider):
    """request.get_json() with the same limits."""

    def loads(self, s, **kwargs):
        return safe_json.loads(s, **kwargs)
