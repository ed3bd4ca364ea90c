"""A real BHXH simulator on a real socket (127.0.0.1, free port) per test, and a client factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from backend.adapters.bhxh.client import BhxhClient
from backend.simulators.bhxh import RunningSimulator, create_bhxh_simulator, start_in_thread
from backend.simulators.bhxh_data import DEFAULT_ACCOUNT, DEFAULT_STAFF_CCCD, DEFAULT_STAFF_NAME


class SimControl:
    """The test harness side of the simulator: its /_sim/ control endpoints, over HTTP."""

    def __init__(self, running: RunningSimulator) -> None:
        self.running = running
        self.url = running.url

    def configure(self, **changes: Any) -> dict[str, Any]:
        response = requests.post(f"{self.url}/_sim/config", json=changes, timeout=5)
        response.raise_for_status()
        return response.json()

    def calls(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_sim/calls", timeout=5).json()

    def revoke_tokens(self) -> None:
        requests.post(f"{self.url}/_sim/revoke_tokens", timeout=5).raise_for_status()

    def stop(self) -> None:
        self.running.stop()


@pytest.fixture
def bhxh_sim() -> Iterator[SimControl]:
    running = start_in_thread(create_bhxh_simulator())
    control = SimControl(running)
    yield control
    running.stop()


@pytest.fixture
def make_client(bhxh_sim: SimControl) -> Callable[..., BhxhClient]:
    def make(**overrides: Any) -> BhxhClient:
        options: dict[str, Any] = {
            "base_url": bhxh_sim.url,
            "username": DEFAULT_ACCOUNT.username,
            "password": DEFAULT_ACCOUNT.password,
            "staff_name": DEFAULT_STAFF_NAME,
            "staff_cccd": DEFAULT_STAFF_CCCD,
            "connect_timeout": 1.0,
            "read_timeout": 2.0,
        }
        options.update({key: value for key, value in overrides.items() if value is not None})
        return BhxhClient(**options)

    return make
