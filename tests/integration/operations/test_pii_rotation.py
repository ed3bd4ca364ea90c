"""`tiepdon rotate-pii-key`: every sealed value and keyed hash moves to the new key while a server
holding both keys keeps finding the same patients; afterwards the new key alone reads everything
and the old key reads nothing."""
import subprocess
import sys
import threading
from datetime import datetime, timezone

from sqlalchemy import create_engine, text

from backend.adapters.notify import DevSmsSink
from backend.adapters.pii_vault import FernetPiiVault
from tests.integration.identification_api.test_identify_api import AN, MAI_BHYT, identify
from tests.integration.mobile.conftest import Phone
from tests.support.app import make_backend
from tests.support.servers import server_env

OLD_KEY = "old-pii-key-" + "o" * 40
NEW_KEY = "new-pii-key-" + "n" * 40
FAST = (1000.0, 1000)
PAYER = {"content": "HD0001 chuyen tien 001090012345", "sender_name": "NGUYEN VAN AN",
         "sender_account": "0123456789"}


def rows(url: str, sql: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        result = conn.execute(text(sql)).all()
    engine.dispose()
    return result


def sealed_values(url: str) -> list[str]:
    values = []
    for sql in ("SELECT data_enc FROM patients", "SELECT request_enc FROM card_checks",
                "SELECT phone_enc FROM patient_accounts", "SELECT payer_enc FROM bank_transfers"):
        values += [r[0] for r in rows(url, sql) if r[0] is not None]
    return values


def stored_hashes(url: str) -> set[str]:
    return ({r[0] for r in rows(url, "SELECT lookup_hash FROM patient_identifiers")}
            | {r[0] for r in rows(url, "SELECT phone_hash FROM patient_accounts")})


def add_bank_transfer(backend) -> None:
    now = datetime.now(timezone.utc)
    with backend.deps.uow.write() as uow:
        uow.bank_transfers.add(transaction_id="FT0001", account="1012345678", amount=150000,
                               transferred_at=now, received_at=now,
                               payer_enc=backend.deps.pii.encrypt(PAYER), decision="reconcile")
        uow.commit()


def test_rotation_keeps_every_record_readable_and_the_old_key_useless(db_url):
    sms = DevSmsSink(echo=False)
    # Before: the hospital's data under the old key (no BHXH gateway: checks stay pending, sealed).
    before = make_backend(db_url, pii_key=OLD_KEY, notifier=sms, rate_otp=FAST, rate_account=FAST)
    assert identify(before, scan=AN).status_code == 200
    assert identify(before, scan=MAI_BHYT).status_code == 200
    Phone(before, sms, "0912345678").sign_in()
    add_bank_transfer(before)
    old_vault, new_vault = FernetPiiVault(OLD_KEY), FernetPiiVault(NEW_KEY)
    sealed_before = sealed_values(db_url)
    assert len(sealed_before) >= 6 and all(old_vault.decrypt(v) for v in sealed_before)
    assert rows(db_url, "SELECT count(*) FROM card_checks WHERE request_enc IS NOT NULL")[0][0] == 2

    # During: the server restarted with the new key and the old one as a reader serves check-ins
    # while the rotation runs beside it in small batches.
    during = make_backend(db_url, pii_key=NEW_KEY, pii_key_old=OLD_KEY, notifier=sms,
                          rate_otp=FAST, rate_account=FAST)
    seen: list[int] = []
    stop = threading.Event()

    def kiosk():
        while not stop.is_set():
            for card in (AN, MAI_BHYT):
                seen.append(identify(during, scan=card).status_code)

    reader = threading.Thread(target=kiosk)
    reader.start()
    try:
        env = server_env(db_url, TIEPDON_PII_KEY=NEW_KEY, TIEPDON_PII_KEY_OLD=OLD_KEY)
        result = subprocess.run([sys.executable, "-m", "backend.cli", "rotate-pii-key", "--batch", "1"],
                                env=env, capture_output=True, text=True, timeout=300)
    finally:
        stop.set()
        reader.join()
    assert result.returncode == 0, result.stderr
    assert seen and set(seen) == {200}
    # every check-in during the rotation found one of the two patients: nobody was created twice
    assert rows(db_url, "SELECT count(*) FROM patients")[0][0] == 2

    # After: the new key alone reads every value and finds every hash; the old key nothing.
    sealed_after = sealed_values(db_url)
    assert len(sealed_after) == len(sealed_values(db_url))
    for value in sealed_after:
        assert new_vault.decrypt(value)
        try:
            old_vault.decrypt(value)
            raise AssertionError("the old key still opens a record")
        except ValueError:
            pass
    hashes = stored_hashes(db_url)
    old_hashes = {old_vault.lookup_hash(kind, number) for kind, number in
                  (("cccd", "001090012345"), ("bhyt", "SV4797905001234"), ("bhxh", "7905001234"),
                   ("phone", "+84912345678"))}
    assert not hashes & old_hashes
    assert new_vault.lookup_hash("cccd", "001090012345") in hashes
    assert new_vault.lookup_hash("phone", "+84912345678") in hashes
    assert new_vault.decrypt(rows(db_url, "SELECT payer_enc FROM bank_transfers")[0][0]) == PAYER

    after = make_backend(db_url, pii_key=NEW_KEY, notifier=sms, rate_otp=FAST, rate_account=FAST)
    assert identify(after, scan=AN).status_code == 200
    assert identify(after, scan=MAI_BHYT).status_code == 200
    Phone(after, sms, "0912345678").sign_in()
    assert rows(db_url, "SELECT count(*) FROM patients")[0][0] == 2  # found again, not created
    assert rows(db_url, "SELECT count(*) FROM patient_accounts")[0][0] == 1

    # Run again: nothing left to do.
    again = subprocess.run([sys.executable, "-m", "backend.cli", "rotate-pii-key"], env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "patients=0" in again.stdout


def test_rotation_without_an_old_key_says_how(sqlite_url):
    make_backend(sqlite_url)
    result = subprocess.run([sys.executable, "-m", "backend.cli", "rotate-pii-key"], env=server_env(sqlite_url),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "TIEPDON_PII_KEY_OLD" in result.stderr
