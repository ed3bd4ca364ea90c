"""An upgrade as a hospital meets it: a PostgreSQL database created by an earlier version (revision
0004) holding a full day of work, migrated to the current head, then served: nothing lost, the
data migrations right, and the day goes on where it stopped."""
from datetime import datetime, timezone

import pytest
import requests
from sqlalchemy import create_engine, inspect, text

from backend.adapters.db.migrate import head_revisions, upgrade
from backend.adapters.pii_vault import FernetPiiVault
from backend.domain.hospital_time import HOSPITAL_TZ
from tests.integration.test_multiprocess import prepare
from tests.support.app import TEST_PII_KEY
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.slow

EARLY = "0004"
SERVICES = (("KHAM-NOI", "N", 1000), ("KHAM-NHI", "K", 400))  # code, prefix, tickets today

# A day at revision 0004, in SQL (what that version wrote): visits, tickets in every state with their
# events, the day's counters, invoices, and bank transfers with the payer's data in clear columns.
DAY_SQL = """
INSERT INTO visits (id, patient_id, day, status, created_at, closed_at)
SELECT 'v' || :code || '-' || n, NULL, :day, CASE WHEN n % 10 < 7 THEN 'closed' ELSE 'open' END,
       :start + n * interval '20 seconds', NULL
FROM generate_series(1, :count) AS n;

INSERT INTO tickets (id, visit_id, service_code, day, number, display_number, status, coverage, priority,
                     priority_confirmed, rank, queue_key, issued_at, estimated_wait_min, people_ahead_at_issue,
                     service_point, called_at, started_at, finished_at, cancelled_at, skipped_at, recall_count,
                     requeue_count, transferred_from, payment_required, paid, issued_by)
SELECT 't' || :code || '-' || n, 'v' || :code || '-' || n, :code, :day, n, :prefix || lpad(n::text, 3, '0'),
       CASE WHEN n % 10 < 6 THEN 'done' WHEN n % 10 = 6 THEN 'skipped' ELSE 'waiting' END,
       CASE WHEN n % 2 = 0 THEN 'bhyt' ELSE 'self_pay' END, NULL, false, 0, n,
       :start + n * interval '20 seconds', 0, 0,
       CASE WHEN n % 10 < 7 THEN 'P101' END,
       CASE WHEN n % 10 < 7 THEN :start + n * interval '20 seconds' + interval '5 minutes' END,
       CASE WHEN n % 10 < 6 THEN :start + n * interval '20 seconds' + interval '6 minutes' END,
       CASE WHEN n % 10 < 6 THEN :start + n * interval '20 seconds' + interval '12 minutes' END,
       NULL, CASE WHEN n % 10 = 6 THEN :start + n * interval '20 seconds' + interval '8 minutes' END,
       0, 0, NULL, n % 2 = 1, n % 2 = 1 AND n % 10 < 7, 'device:kiosk-1'
FROM generate_series(1, :count) AS n;

INSERT INTO ticket_events (ticket_id, at, action, from_status, to_status, actor, service_point)
SELECT id, issued_at, 'issue', NULL, 'waiting', issued_by, NULL FROM tickets WHERE service_code = :code;
INSERT INTO ticket_events (ticket_id, at, action, from_status, to_status, actor, service_point)
SELECT id, finished_at, 'finish', 'serving', 'done', 'staff:bs101', 'P101' FROM tickets
WHERE service_code = :code AND status = 'done';

INSERT INTO ticket_counters (service_code, day, last_number) VALUES (:code, :day, :count);

INSERT INTO invoices (id, visit_id, ticket_id, kind, description, amount, status, needs_refund, reference,
                      created_at, expires_at, paid_at, refunded_at, provider, device_id, due_before_call, created_by)
SELECT 'i' || :code || '-' || n, 'v' || :code || '-' || n, 't' || :code || '-' || n, 'exam', 'Khám bệnh',
       39000, CASE WHEN n % 10 < 7 THEN 'paid' ELSE 'pending' END, false, :prefix || 'HD' || lpad(n::text, 6, '0'),
       :start + n * interval '20 seconds', :start + n * interval '20 seconds' + interval '30 minutes',
       CASE WHEN n % 10 < 7 THEN :start + n * interval '20 seconds' + interval '1 minute' END, NULL,
       CASE WHEN n % 10 < 7 THEN 'vietqr' END, NULL, true, 'device:kiosk-1'
FROM generate_series(1, :count) AS n WHERE n % 2 = 1;

INSERT INTO bank_transfers (transaction_id, account, amount, content, transferred_at, received_at, bank_bin,
                            sender_account, sender_name, decision, reason, invoice_id, reference)
SELECT 'FT' || :code || n, '1012345678', 39000, :prefix || 'HD' || lpad(n::text, 6, '0') || ' CCCD 0010900' || n,
       :start + n * interval '20 seconds' + interval '1 minute', :start + n * interval '20 seconds' + interval '1 minute',
       '970436', '0123' || n, 'NGUYEN VAN ' || n, 'settle', NULL, 'i' || :code || '-' || n,
       :prefix || 'HD' || lpad(n::text, 6, '0')
FROM generate_series(1, :count) AS n WHERE n % 2 = 1 AND n % 10 < 7;
"""

TABLES = ("visits", "tickets", "ticket_events", "ticket_counters", "invoices", "bank_transfers")


def counts(conn) -> dict[str, int]:
    return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def test_a_day_of_data_survives_the_upgrade_to_head_and_the_day_goes_on(postgres):
    url = postgres.create_database()
    upgrade(url, EARLY)
    today = datetime.now(timezone.utc).astimezone(HOSPITAL_TZ).date()
    start = datetime.combine(today, datetime.min.time(), tzinfo=HOSPITAL_TZ).replace(hour=7)
    engine = create_engine(url)
    with engine.begin() as conn:
        for code, prefix, count in SERVICES:
            for statement in DAY_SQL.split(";\n"):
                if statement.strip():
                    conn.execute(text(statement), {"code": code, "prefix": prefix, "count": count,
                                                   "day": today, "start": start})
        before = counts(conn)
        clear = {r[0]: (r[1], r[2], r[3]) for r in conn.execute(
            text("SELECT transaction_id, content, sender_name, sender_account FROM bank_transfers"))}
    assert before["tickets"] == 1400 and before["bank_transfers"] == 420

    upgrade(url)  # what `tiepdon db upgrade` runs

    with engine.connect() as conn:
        assert {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))} == head_revisions(url)
        assert counts(conn) == before
        # 0005: each counter holds the number of its service's waiting tickets
        tally = dict(conn.execute(text("SELECT service_code, waiting FROM ticket_counters")).all())
        assert tally == {"KHAM-NOI": 300, "KHAM-NHI": 120}
        # 0006: the open-invoice index replaced the old one
        indexes = {i["name"] for i in inspect(conn).get_indexes("invoices")}
        assert "ix_invoice_ticket_open" in indexes and "ix_invoice_ticket" not in indexes
        # 0007 and 0008: the new table and column, empty until used
        assert conn.execute(text("SELECT count(*) FROM manual_lookups")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM bank_transfers WHERE payer_enc IS NULL")).scalar_one() == 420
    token, _ = prepare(url)

    server = ServerProcess(url).start()  # the server seals the clear payer data at start-up
    try:
        r = requests.post(server.url + "/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay"},
                          headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert r.status_code == 201, r.text
        assert r.json()["number"] == 1001 and r.json()["display_number"] == "N1001"
        assert r.json()["position"] == 301  # behind the 300 still waiting from this morning
    finally:
        server.stop()

    vault = FernetPiiVault(TEST_PII_KEY)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT transaction_id, payer_enc, content, sender_name, sender_account "
                                 "FROM bank_transfers")).all()
        assert counts(conn)["tickets"] == 1401
    engine.dispose()
    assert len(rows) == 420
    for transaction_id, payer_enc, content, sender_name, sender_account in rows:
        assert (content, sender_name, sender_account) == ("", None, None)  # no longer in clear
        payer = vault.decrypt(payer_enc)
        assert (payer["content"], payer["sender_name"], payer["sender_account"]) == clear[transaction_id]
