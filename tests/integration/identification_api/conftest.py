import pytest

from backend.adapters.bhxh.client import BhxhClient
from backend.adapters.his.fhir_client import FhirHisClient
from backend.simulators.bhxh import create_bhxh_simulator, start_in_thread
from backend.simulators.bhxh_data import DEFAULT_ACCOUNT, DEFAULT_STAFF_CCCD, DEFAULT_STAFF_NAME
from backend.simulators.his import create_his_simulator, make_his_simulator_server
from tests.support.app import FixedClock, make_backend


class HisSim:
    def __init__(self):
        import threading

        self.app = create_his_simulator()
        self.server = make_his_simulator_server(self.app)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def set_mode(self, mode: str):
        import requests

        requests.post(self.url + "/_sim/config", json={"mode": mode}).raise_for_status()

    def stats(self) -> dict:
        import requests

        return requests.get(self.url + "/_sim/stats").json()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def bhxh_sim():
    sim = start_in_thread(create_bhxh_simulator())
    yield sim
    sim.stop()


@pytest.fixture
def his_sim():
    sim = HisSim()
    yield sim
    sim.stop()


@pytest.fixture
def clock():
    return FixedClock()


@pytest.fixture
def backend(db_url, clock, bhxh_sim, his_sim):
    checker = BhxhClient(bhxh_sim.url, DEFAULT_ACCOUNT.username, DEFAULT_ACCOUNT.password,
                         DEFAULT_STAFF_NAME, DEFAULT_STAFF_CCCD, read_timeout=1.0)
    his = FhirHisClient(his_sim.url, read_timeout=2.0)
    b = make_backend(db_url, clock=clock, card_checker=checker, his=his)
    yield b
    b.app.extensions["tiepdon"].engine.dispose()
