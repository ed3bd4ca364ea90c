"""The typed unit-of-work port says what the database adapter and the in-memory double really
offer: every repository listed, every method with the same parameters."""
import inspect
import typing

import pytest
from sqlalchemy import create_engine

from backend.adapters.db.uow import SqlUnitOfWork
from backend.services.ports import uow as port
from tests.support.memory_uow import ABSENT, MemoryUnitOfWork, MemoryUnitOfWorkFactory

REPOSITORIES = typing.get_type_hints(port.UnitOfWork)


def _methods(protocol) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(fn) for name, fn in vars(protocol).items()
            if inspect.isfunction(fn) and not name.startswith("_")}


def _parameters(sig: inspect.Signature) -> list[tuple[str, object]]:
    return [(p.name, p.kind) for p in sig.parameters.values()]


@pytest.fixture(scope="module")
def sql_uow():
    engine = create_engine("sqlite://")  # no schema needed: the unit only binds its repositories
    with engine.connect() as conn:
        yield SqlUnitOfWork(conn)
    engine.dispose()


def test_the_port_lists_every_repository_of_the_database_unit(sql_uow):
    attributes = {name for name, value in vars(sql_uow).items() if hasattr(value, "conn")}
    assert set(REPOSITORIES) == attributes
    assert len(REPOSITORIES) == 24


@pytest.mark.parametrize("name", sorted(REPOSITORIES))
def test_each_database_repository_has_the_ports_methods(sql_uow, name):
    repository = getattr(sql_uow, name)
    for method, sig in _methods(REPOSITORIES[name]).items():
        assert hasattr(repository, method), f"{name}.{method}"
        actual = inspect.signature(getattr(type(repository), method))
        assert _parameters(actual) == _parameters(sig), f"{name}.{method}"


@pytest.mark.parametrize("name", sorted(set(REPOSITORIES) - set(ABSENT)))
def test_each_in_memory_repository_has_the_ports_methods(name):
    repository = getattr(MemoryUnitOfWork(MemoryUnitOfWorkFactory().state), name)
    for method, sig in _methods(REPOSITORIES[name]).items():
        actual = inspect.signature(getattr(type(repository), method))
        assert _parameters(actual) == _parameters(sig), f"{name}.{method}"


def test_an_absent_in_memory_repository_says_so():
    uow = MemoryUnitOfWork(MemoryUnitOfWorkFactory().state)
    assert set(ABSENT) | {"tickets", "visits", "service_times", "idempotency", "audit", "invoices"} \
        == set(REPOSITORIES)
    with pytest.raises(NotImplementedError, match="no patients repository"):
        uow.patients.get("p-1")
