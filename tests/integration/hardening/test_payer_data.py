"""Issue 15 §3: a bank transfer's payer data (name, account, free-text content) is encrypted at rest,
masked wherever the API shows it, and never reaches a log — not even through a database error."""
import json

from sqlalchemy import create_engine, text

from backend import create_app
from tests.integration.payments_api.conftest import (
    FEE,
    issue_self_pay,
    payment_backend,
    post_webhook,
    webhook_body,
)

CCCD = "001090012345"
PHONE_SPACED = "0912 345 678"
PAYER_ACCOUNT = "0123456789"  # webhook_body's sender_account
PAYER_NAME = "NGUYEN VAN AN"  # webhook_body's sender_name
SECRETS = (CCCD, PAYER_ACCOUNT, PAYER_NAME, "345 678", "0912")


def vietqr_reference(backend, ticket) -> str:
    r = backend.client().post(f"/api/v1/invoices/{ticket['invoice']['id']}/vietqr", headers=backend.kiosk_headers())
    assert r.status_code == 200, r.get_json()
    return r.get_json()["reference"]


def raw_rows(db_url: str, table: str) -> list[dict]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {table}"))]
    finally:
        engine.dispose()


def test_engines_never_log_statement_parameters(db_url, tmp_path):
    b = payment_backend(db_url, tmp_path)
    assert b.app.extensions["tiepdon"].engine.hide_parameters is True


def test_a_database_error_during_a_bank_webhook_logs_no_payer_data(db_url, tmp_path, caplog, capfd):
    caplog.set_level("DEBUG")
    b = payment_backend(db_url, tmp_path)
    reference = vietqr_reference(b, issue_self_pay(b))
    # The table changes under the running server: the next insert fails inside the database.
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE bank_transfers RENAME COLUMN transferred_at TO transferred_at_old"))
    engine.dispose()
    raw = webhook_body(f"{reference} nop tien kham CCCD {CCCD} sdt {PHONE_SPACED}", FEE, "FT26327009901")
    r = post_webhook(b, raw)
    assert r.status_code == 500 and r.get_json()["code"] == "INTERNAL_ERROR"
    out, err = capfd.readouterr()
    logged = caplog.text + out + err + r.get_data(as_text=True)
    assert "bank-webhook" in logged or "OperationalError" in logged or "ProgrammingError" in logged  # it was logged
    for secret in (CCCD, PAYER_ACCOUNT, PAYER_NAME, PHONE_SPACED):
        assert secret not in logged, secret


def test_payer_data_is_encrypted_at_rest_and_masked_by_the_reconciliation_list(db_url, tmp_path):
    b = payment_backend(db_url, tmp_path)
    b.add_staff("thu", "cashier", ["TN1"])
    cashier = b.login("thu")
    ticket = issue_self_pay(b)
    reference = vietqr_reference(b, ticket)
    content = f"{reference} nop tien kham CCCD {CCCD} sdt {PHONE_SPACED}"
    r = post_webhook(b, webhook_body(content, FEE - 1_000, "FT26327009902"))
    assert r.get_json()["reason"] == "wrong_amount"

    stored = json.dumps(raw_rows(b.url, "bank_transfers"), default=str, ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in stored, secret
    assert reference in stored  # what matching needs stays readable: the reference is not personal

    body = cashier.get("/api/v1/payments/reconciliation")
    assert body.status_code == 200
    item = body.get_json()["items"][0]
    for secret in SECRETS:
        assert secret not in json.dumps(item, ensure_ascii=False), secret
    assert reference in item["content"] and "nop tien kham" in item["content"]
    assert item["sender_account"] == "******6789" and item["sender_name"] == "NGUYEN V. A"
    detail = cashier.get(f"/api/v1/invoices/{ticket['invoice']['id']}")
    assert detail.status_code == 200
    for secret in SECRETS:
        assert secret not in detail.get_data(as_text=True), secret


def test_transfers_stored_in_clear_before_the_upgrade_are_sealed(db_url, tmp_path):
    b = payment_backend(db_url, tmp_path)
    engine = create_engine(db_url)
    with engine.begin() as conn:  # a row as the previous version wrote it
        conn.execute(text(
            "INSERT INTO bank_transfers (transaction_id, account, amount, content, transferred_at, received_at,"
            " sender_account, sender_name, decision, reason) VALUES ('FT-OLD-1', '1012345678', 5000, :content,"
            " :at, :at, :acct, :name, 'reconcile', 'unknown_reference')"),
            {"content": f"chuyen tien CCCD {CCCD}", "at": "2026-11-23 02:00:00", "acct": PAYER_ACCOUNT,
             "name": PAYER_NAME})
    engine.dispose()
    b.app.extensions["tiepdon"].engine.dispose()
    create_app({"database_url": db_url, "secret_key": b.app.config["SECRET_KEY"], "dev_sms": True,
                "pii_key": "test-pii-key-" + "y" * 40, "config_path": str(tmp_path / "hospital-pay-first.toml"),
                "background_workers": False}).extensions["tiepdon"].engine.dispose()
    stored = json.dumps(raw_rows(db_url, "bank_transfers"), default=str, ensure_ascii=False)
    for secret in (CCCD, PAYER_ACCOUNT, PAYER_NAME):
        assert secret not in stored, secret
