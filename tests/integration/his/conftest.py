"""The HIS simulator served over real HTTP on 127.0.0.1, plus registration builders."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
import requests

from backend.adapters.his.fhir_client import FhirHisClient
from backend.domain.his_record import HOSPITAL_TZ, VisitRegistration
from backend.simulators.his import create_his_simulator, make_his_simulator_server

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


def _serve(app) -> Iterator[str]:
    server = make_his_simulator_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, name="his-simulator", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def _simulator_url() -> Iterator[str]:
    # One server per module keeps the suite fast; `his` resets its state before every test.
    yield from _serve(create_his_simulator(auth_token=SIM_TOKEN))


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
    number = next(_visit_numbers)
    fields: dict[str, Any] = {
        "visit_id": f"LK-79001-20240501-{number:04d}",
        "seq": number,
        "patient_id": f"BN{number:05d}",
        "full_name": "Nguyễn Văn Bình",
        "arrived_at": datetime(2024, 5, 1, 8, 5, tzinfo=HOSPITAL_TZ),
        "hospital_code": "79001",
        "service_code": "02.1896",
        "service_name": "Khám Nội",
        "gender": "male",
        "cccd": f"0790850{number:05d}",
        "dob": date(1985, 3, 15),
        "bhyt_codes": (f"DN47979200{number:05d}",),
        "ma_dkbd": "79002",
        "card_valid_from": date(2024, 1, 1),
        "card_valid_to": date(2024, 12, 31),
        "ma_doituong_kcb": "1.1",
    }
    fields.update(overrides)
    return VisitRegistration(**fields)


@pytest.fixture
def make_registration():
    return registration
