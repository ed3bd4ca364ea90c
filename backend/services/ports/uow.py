"""The unit-of-work port: services open one, use its repositories, and commit explicitly."""
from contextlib import AbstractContextManager
from typing import Any, Protocol


class UnitOfWork(Protocol):
    tickets: Any
    visits: Any
    service_times: Any
    idempotency: Any
    staff: Any
    devices: Any
    audit: Any

    def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def write(self) -> AbstractContextManager[UnitOfWork]: ...

    def read(self) -> AbstractContextManager[UnitOfWork]: ...
