"""Shared builders for the HIS unit tests."""

from __future__ import annotations

import pytest

from tests.support.his import visit_registration as registration


@pytest.fixture
def make_registration():
    return registration
