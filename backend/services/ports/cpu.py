"""Where CPU-heavy steps of a use case run (a thread pool under the server's event loop)."""
from typing import Callable, Protocol, TypeVar

T = TypeVar("T")


class CpuWork(Protocol):
    def run(self, fn: Callable[..., T], *args) -> T: ...


class InlineCpu:
    """Runs the work in the caller: for CLI commands and tests without an event loop."""

    def run(self, fn: Callable[..., T], *args) -> T:
        return fn(*args)
