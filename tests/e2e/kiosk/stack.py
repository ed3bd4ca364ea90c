"""The real back end a kiosk talks to in e2e tests and the bench: `tiepdon serve` (gunicorn) on a
migrated SQLite file, with the BHXH and HIS simulators on loopback ports at a set latency."""
from __future__ import annotations

import os
import re
import secrets
import threading
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import text

from backend.adapters.db.migrate import upgrade
from backend.bootstrap import build_container
from backend.domain.tokens import new_id
from backend.domain.hospital_time import hospital_day
from backend.services.appointments import qr_payload
from backend.services.auth import add_device
from backend.settings import Settings
from backend.simulators.bhxh import create_bhxh_simulator, start_in_thread
from backend.simulators.bhxh_data import (DEFAULT_ACCOUNT, DEFAULT_STAFF_CCCD, DEFAULT_STAFF_NAME,
                                          SimCard)
from backend.simulators.his import create_his_simulator, make_his_simulator_server
from tests.support.app import CONFIG, TEST_PII_KEY, TEST_SECRET
from tests.support.cards import cccd_qr, synthetic_cccd
from tests.support.pg import free_port
from tests.support.servers import ServerProcess

VNPAY_SECRET = "KIOSKTESTSECRET0123456789ABCDEFGH"
TMN_CODE = "DEMO0001"
# Khám Mắt asks self-paying patients to pay before they are called: the kiosk shows the QR.
PAY_FIRST_SERVICE = "KHAM-MAT"


# The hospital's cashier rule (API 17, [payments] cashier / on_timeout): a stack is started with one.
CASHIER_WHERE = ("Quầy thu ngân số 3, Sảnh A", "Cashier desk 3, Hall A")
NO_CASHIER = 'cashier = false\non_timeout = "cancel"\n'
WITH_CASHIER = (f'cashier = true\non_timeout = "cashier"\ncashier_where_vi = "{CASHIER_WHERE[0]}"\n'
                f'cashier_where_en = "{CASHIER_WHERE[1]}"\n')


def pay_first_config(workdir: str, payments: str = NO_CASHIER) -> str:
    source = open(CONFIG, encoding="utf-8").read()
    marker = f'code = "{PAY_FIRST_SERVICE}"\n'
    assert marker in source and "[payments]\n" in source
    source = source.replace(marker, marker + "payment_before_call = true\n")
    # This stack's cashier rule replaces whatever the demo file says.
    source = re.sub(r"(?m)^(cashier|on_timeout|cashier_where_vi|cashier_where_en) *=.*\n", "", source)
    source = source.replace("[payments]\n", "[payments]\n" + payments, 1)
    path = os.path.join(workdir, "hospital-kiosk-e2e.toml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(source)
    return path


class KioskStack:
    def __init__(self, workdir: str, latency_ms: int = 50, payments: str = NO_CASHIER, **server_env):
        self.workdir = workdir
        self.payments = payments
        self.latency_ms = latency_ms
        self.db_url = f"sqlite:///{os.path.join(workdir, 'kiosk-e2e.db')}"
        self.server_env = server_env
        self.bhxh = None
        self.his_server = None
        self.server: ServerProcess | None = None
        self.vnpay_server = None
        self.vnpay_url = ""
        self.token = ""

    def start(self) -> "KioskStack":
        self.bhxh = start_in_thread(create_bhxh_simulator(latency_ms=self.latency_ms))
        self.his_server = make_his_simulator_server(create_his_simulator(latency_ms=self.latency_ms))
        threading.Thread(target=self.his_server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        port = free_port()
        from backend.simulators.vnpay import SimConfig, create_vnpay_simulator, make_simulator_server

        self.vnpay_server = make_simulator_server(create_vnpay_simulator(
            TMN_CODE, VNPAY_SECRET, f"http://127.0.0.1:{port}/api/v1/payments/vnpay/ipn",
            config=SimConfig(latency_ms=self.latency_ms, ipn_max_attempts=3, ipn_backoff_s=0.1)))
        threading.Thread(target=self.vnpay_server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        self.vnpay_url = f"http://127.0.0.1:{self.vnpay_server.server_port}"
        config = self.config_path = pay_first_config(self.workdir, self.payments)
        upgrade(self.db_url)
        container = self._container()
        _, self.token = add_device(container.deps, "kiosk-e2e")
        container.engine.dispose()
        self.server = ServerProcess(
            self.db_url, port=port, TIEPDON_CONFIG=config,
            VNPAY_TMN_CODE=TMN_CODE, VNPAY_HASH_SECRET=VNPAY_SECRET,
            VNPAY_PAYMENT_URL=f"{self.vnpay_url}/paymentv2/vpcpay.html",
            VNPAY_API_URL=f"{self.vnpay_url}/merchant_webapi/api/transaction",
            VNPAY_RETURN_URL=f"http://127.0.0.1:{port}/api/v1/payments/vnpay/return",
            BHXH_URL=self.bhxh.url, BHXH_USERNAME=DEFAULT_ACCOUNT.username,
            BHXH_PASSWORD=DEFAULT_ACCOUNT.password, BHXH_STAFF_NAME=DEFAULT_STAFF_NAME,
            BHXH_STAFF_CCCD=DEFAULT_STAFF_CCCD,
            HIS_FHIR_URL=f"http://127.0.0.1:{self.his_server.server_port}",
            **self.server_env,
        ).start(timeout=60)
        return self

    def _container(self):
        return build_container(Settings.from_env({
            "database_url": self.db_url, "secret_key": TEST_SECRET, "pii_key": TEST_PII_KEY,
            "config_path": self.config_path, "background_workers": False}))

    def add_kiosk(self, name: str) -> str:
        """Another kiosk's token (a test that revokes one must not take the others down)."""
        container = self._container()
        try:
            return add_device(container.deps, name)[1]
        finally:
            container.engine.dispose()

    def appointment_now(self, card_qr: str, service: str = "KHAM-NOI") -> str:
        """A patient (recorded by a kiosk scan of their card) booked on a phone for a slot that started
        five minutes ago; returns the appointment QR the booking app shows (TDA1.<id>.<mac>)."""
        import requests

        r = requests.post(f"{self.url}/api/v1/kiosk/identify", timeout=20,
                          headers={"Authorization": f"Bearer {self.token}"},
                          json={"scan": card_qr, "consent": {"accepted": True}})
        assert r.status_code == 200, r.text
        container = self._container()
        deps = container.deps
        try:
            now = datetime.now(timezone.utc)
            account_id, appointment_id = new_id(), new_id()
            with deps.uow.write() as uow:
                # The newest patient: the one the scan above recorded.
                patient_id = uow.patients.conn.execute(
                    text("SELECT id FROM patients ORDER BY created_at DESC LIMIT 1")).scalar_one()
                uow.accounts.add(id=account_id, phone_hash=secrets.token_hex(32), phone_enc="-",
                                 phone_masked="091****000", notifications=False, language="vi", created_at=now,
                                 last_login_at=now)
                uow.appointments.add(id=appointment_id, account_id=account_id, patient_id=patient_id,
                                     service_code=service, coverage="bhyt", day=hospital_day(now),
                                     slot_start=now - timedelta(minutes=5), slot_end=now + timedelta(minutes=25),
                                     status="booked", created_at=now)
                uow.commit()
            return qr_payload(deps, appointment_id)
        finally:
            container.engine.dispose()

    @property
    def url(self) -> str:
        return self.server.url

    def insured_patient(self, i: int, name: str = "Hoàng Văn Bảy", year: int = 1960) -> str:
        """A person BHXH knows (result 000), as the QR text of their CCCD."""
        number = synthetic_cccd(900000 + i, year=year)
        dob = date(year, 3, 1 + i % 27)
        self.bhxh.state.add_card(SimCard(
            ma_the=f"HT2019{number[-9:]}", ho_ten=name, ngay_sinh=f"{dob:%d/%m/%Y}",
            gioi_tinh="Nam", cccd=number, result_code="000"))
        return cccd_qr(number, name, dob, "Nam")

    def stop(self) -> None:
        if self.server:
            self.server.stop()
        for server in (self.his_server, self.vnpay_server):
            if server:
                server.shutdown()
                server.server_close()
        if self.bhxh:
            self.bhxh.stop()
