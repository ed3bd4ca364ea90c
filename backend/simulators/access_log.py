"""The simulators' access log: method, path and status only.

werkzeug's default request line carries the query string, where real wire formats put secrets
(the BHXH gateway's token, id_token, account and password hash; VNPay's signature; FHIR searches by
identifier). Headers and bodies are never logged. werkzeug's own error lines ("Bad request syntax
('GET /?token=…')") quote the raw request line, so query strings are cut from those too.
"""
import logging
import re
from typing import Any
from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler

log = logging.getLogger("backend.simulators.access")
_QUERY = re.compile(r"\?[^\s'\"]*")


class PathOnlyRequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = urlsplit(getattr(self, "path", "") or "").path
        log.info('"%s %s" %s %s', getattr(self, "command", "-"), path, code, size)

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 (werkzeug's signature)
        text = message % args if args else message
        log.log(logging.ERROR if type == "error" else logging.INFO, "%s", _QUERY.sub("?<redacted>", text))
