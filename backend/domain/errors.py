"""Domain failures carry a stable reason code; entry points translate and map them to HTTP."""


class DomainError(Exception):
    """A rule of the hospital was broken. `code` is the stable UPPER_SNAKE reason of API.md."""

    def __init__(self, code: str, detail: str | None = None, **context):
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.context = context

    def __repr__(self) -> str:  # context may hold ids, never personal data
        return f"DomainError({self.code!r})"
