"""Keep gateway credentials out of urllib3's debug log.

The gateway's wire format puts ``token``, ``username`` and the password hash in the query string, and
urllib3 logs every request line at DEBUG. A hospital that turns on DEBUG to chase a network problem
must not end up with credentials in its log files, so we blank query strings in those records.
"""

from __future__ import annotations

import logging
import re
import threading

_QUERY = re.compile(r"\?[^\s\"']*")
_REDACTED = "?<redacted>"
_URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry")
_install_lock = threading.Lock()


class RedactQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to fix; let logging report it
            return True
        if "?" in message:
            record.msg = _QUERY.sub(_REDACTED, message)
            record.args = None
        return True


def install_urllib3_redaction() -> None:
    """Idempotent: adds the filter once to each urllib3 logger that can print a URL."""
    with _install_lock:
        for name in _URLLIB3_LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(existing, RedactQueryStrings) for existing in logger.filters):
                logger.addFilter(RedactQueryStrings())
