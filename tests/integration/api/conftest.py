import pytest

from tests.support.app import FixedClock, make_backend


@pytest.fixture
def clock():
    return FixedClock()


@pytest.fixture
def backend(db_url, clock):
    b = make_backend(db_url, clock=clock)
    yield b
    b.app.extensions["tiepdon"].engine.dispose()
