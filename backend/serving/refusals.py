"""Answers the server gives before the app sees a request: RFC 9457 problems like the API's own."""
import json

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from ..api.problems import PROBLEMS

RETRY_AFTER_S = 10


def language(accept_language: str | None) -> str:
    accepted = parse_accept_header(accept_language or "", LanguageAccept)
    return accepted.best_match(["vi", "en"], default="vi") or "vi"


def problem_body(code: str, lang: str) -> tuple[int, bytes]:
    status, vi, en = PROBLEMS[code]
    title = en if lang == "en" else vi
    body = {"type": f"https://tiepdon.vn/problems/{code.lower().replace('_', '-')}",
            "title": title, "status": status, "detail": f"{vi} / {en}", "code": code}
    return status, json.dumps(body, ensure_ascii=False).encode()


def raw_http_refusal(code: str) -> bytes:
    """A whole HTTP/1.1 response for a connection refused before its request was read."""
    status, body = problem_body(code, "vi")
    head = (f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
            "Content-Type: application/problem+json\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"Retry-After: {RETRY_AFTER_S}\r\n"
            "Connection: close\r\n\r\n")
    return head.encode() + body


_REASONS = {408: "Request Timeout", 429: "Too Many Requests", 503: "Service Unavailable"}
