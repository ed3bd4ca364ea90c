"""invoices: index by (ticket_id, status, expires_at) instead of ticket_id alone

Settling a payment asks whether the ticket has another open invoice. With only a ticket_id
index, SQLite's planner preferred (status, expires_at) and walked every open invoice of the day
on each payment; this index answers the question from the ticket's own few rows, and still
serves every look-up by ticket_id alone.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 05:00:00.000000
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_ticket_open', ['ticket_id', 'status', 'expires_at'], unique=False)
        batch_op.drop_index('ix_invoice_ticket')


def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_ticket', ['ticket_id'], unique=False)
        batch_op.drop_index('ix_invoice_ticket_open')
