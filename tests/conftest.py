import os

import pytest

from tests.support.pg import PostgresCluster

os.environ.setdefault("KIVY_NO_ARGS", "1")


@pytest.fixture(scope="session")
def postgres():
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """The same repository/API tests run on SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tiepdon.db'}"
    return request.getfixturevalue("postgres").create_database()


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'tiepdon.db'}"
