"""The HIS simulator served over real HTTP on 127.0.0.1, plus registration builders."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from backend.adapters.his.fhir_client import FhirHisClient
from backend.domain.his_record import VisitRegistration
from backend.simulators.his import create_his_simulator
from tests.support.his import visit_registration
from tests.support.wsgi import served

SIM_TOKEN = "sim-test-token"
_visit_numbers = itertools.count(1)


@dataclass
class RunningSimulator:
    base_url: str

    def configure(self, **settings: Any) -> dict[str, Any]:
        response = requests.post(f"{self.base_url}/_sim/config", json=settings, timeout=5)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        response = requests.get(f"{self.base_url}/_sim/stats", timeout=5)
        response.raise_for_status()
        return response.json()

    def reset(self, *, seed: bool = True) -> None:
        requests.post(f"{self.base_url}/_sim/reset", json={"seed": seed}, timeout=5).raise_for_status()

    def get(self, path: str, **params: str) -> requests.Response:
        return requests.get(
            f"{self.base_url}/{path}", params=params, headers={"Authorization": f"Bearer {SIM_TOKEN}"}, timeout=5
        )


@pytest.fixture(scope="module")
def _simulator_url() -> Iterator[str]:
    # One server per module keeps the suite fast; `his` resets its state before every test.
    with served(create_his_simulator(auth_token=SIM_TOKEN)) as url:
        yield url


@pytest.fixture
def his(_simulator_url: str) -> RunningSimulator:
    simulator = RunningSimulator(_simulator_url)
    simulator.reset()
    return simulator


@pytest.fixture
def client(his: RunningSimulator) -> Iterator[FhirHisClient]:
    with FhirHisClient(his.base_url, auth_token=SIM_TOKEN, connect_timeout=1.0, read_timeout=3.0) as fhir_client:
        yield fhir_client


def registration(**overrides: Any) -> VisitRegistration:
    """A new visit (unique visit_id) of a BHYT patient unknown to the HIS; override any field."""
    return visit_registration(next(_visit_numbers), **overrides)


@pytest.fixture
def make_registration():
    return registration
