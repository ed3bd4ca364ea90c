"""Settling a payment must touch only the paying ticket's rows, however many invoices are open.

SQLite's planner, given a ticket_id index and a (status, expires_at) index, chose the latter for
"another open invoice on this ticket?", so every payment walked all of the day's open invoices.
"""
import sqlite3

from backend.adapters.db.migrate import upgrade
from backend.adapters.db.payment_repositories import _OTHER_OPEN


def plan(db_path: str, statement) -> str:
    sql = str(statement.compile(compile_kwargs={"render_postcompile": True}))
    conn = sqlite3.connect(db_path)
    try:
        names = [name for name in statement.compile().params]
        rows = conn.execute("EXPLAIN QUERY PLAN " + sql, {name: "x" for name in names}).fetchall()
    finally:
        conn.close()
    return " | ".join(row[-1] for row in rows)


def test_other_open_invoice_check_searches_by_ticket(tmp_path):
    db = tmp_path / "plan.db"
    upgrade(f"sqlite:///{db}")
    described = plan(str(db), _OTHER_OPEN)
    assert "ix_invoice_ticket_open (ticket_id=? AND status=? AND expires_at>?)" in described, described
    assert "ix_invoice_status_expiry" not in described, described
