"""JSON from outside with limits: every route's body (webargs and Flask's request.get_json, wired in
backend/api/blueprint.py) and the bank webhook's own parser.

Python's json module has no limits of its own: 20,000 nested brackets raise RecursionError, a
5,000-digit integer raises ValueError (int max str digits), 1e999 becomes inf. Each came out as a
500 with a traceback. Here each is a JSONDecodeError, which every caller already answers as
"invalid JSON" (400). Nothing this API accepts nests deeper than a few levels, and no number in it
needs more than 18 digits (bigint / SQLite INTEGER hold 19).
"""
import json
import math

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 40  # digits, sign, dot, exponent: far above any real value, far below harm


class JsonLimitExceeded(json.JSONDecodeError):
    def __init__(self, reason: str):
        # A non-empty doc: webargs takes an empty one for "no body" and would report missing fields.
        super().__init__(reason, "<limit>", 0)


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonLimitExceeded("number too long")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonLimitExceeded("number too long")
    value = float(text)
    if not math.isfinite(value):
        raise JsonLimitExceeded("number out of range")
    return value


def _constant(name: str):
    raise JsonLimitExceeded(f"{name} is not JSON")


def _too_deep(text: str) -> bool:
    """Bracket depth outside strings, in one pass before parsing (json would recurse first)."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def loads(data: str | bytes, **kwargs):
    """json.loads with the limits above; raises json.JSONDecodeError (a ValueError) on any breach."""
    if isinstance(data, (bytes, bytearray)):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonLimitExceeded("not UTF-8") from exc
    if "[" in data or "{" in data:
        if _too_deep(data):
            raise JsonLimitExceeded("nested too deep")
    kwargs.setdefault("parse_int", _int)
    kwargs.setdefault("parse_float", _float)
    kwargs.setdefault("parse_constant", _constant)
    try:
        return json.loads(data, **kwargs)
    except RecursionError as exc:  # a stack smaller than MAX_DEPTH needs: still the client's fault
        raise JsonLimitExceeded("nested too deep") from exc


class SocketIOJson:
    """The json "module" for Socket.IO packets (python-socketio calls loads/dumps on it).

    A packet beyond the limits (or not JSON at all) decodes as an unknown event with no arguments instead of raising:
    raising there ends in engineio's "message handler error" traceback. A connect packet then
    carries no credentials and is refused like any other (connect_error UNAUTHORIZED), and an
    event packet names no handler and is ignored.

    Engine.IO decodes its own packets with the same module and relies on a ValueError for text
    that is not JSON at all: the upgrade probe "2probe" must stay the string "probe", or the
    polling-to-websocket upgrade of every browser fails. Only what starts like a JSON document
    (every Socket.IO payload does) is turned into the harmless packet."""

    BREACH = ["invalid-packet"]

    @staticmethod
    def loads(s, **kwargs):
        text = s.decode("utf-8", "replace") if isinstance(s, (bytes, bytearray)) else s
        if not text.lstrip()[:1] in ("{", "["):
            return loads(s, **kwargs)  # Engine.IO's own text: a ValueError is its cue
        try:
            return loads(s, **kwargs)
        except ValueError:  # beyond the limits, or broken JSON
            return list(SocketIOJson.BREACH)

    @staticmethod
    def dumps(obj, **kwargs):
        return json.dumps(obj, **kwargs)
