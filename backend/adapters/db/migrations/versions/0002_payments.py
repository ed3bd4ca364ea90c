"""payments: invoices with their history, VNPay attempts, bank transfers, reconciliation items

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 23:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
import backend.adapters.db.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

UtcDateTime = backend.adapters.db.types.UtcDateTime


def upgrade() -> None:
    op.create_table('invoices',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('visit_id', sa.String(length=32), nullable=True),
    sa.Column('ticket_id', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('needs_refund', sa.Boolean(), nullable=False),
    sa.Column('reference', sa.String(length=24), nullable=False),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('paid_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('refunded_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('provider', sa.String(length=16), nullable=True),
    sa.Column('device_id', sa.String(length=32), nullable=True),
    sa.Column('due_before_call', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference')
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_status_expiry', ['status', 'expires_at'], unique=False)
        batch_op.create_index('ix_invoice_ticket', ['ticket_id'], unique=False)
        batch_op.create_index('ix_invoice_visit', ['visit_id'], unique=False)

    op.create_table('bank_transfers',
    sa.Column('transaction_id', sa.String(length=64), nullable=False),
    sa.Column('account', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('transferred_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('received_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('bank_bin', sa.String(length=8), nullable=True),
    sa.Column('sender_account', sa.String(length=64), nullable=True),
    sa.Column('sender_name', sa.String(length=200), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('invoice_id', sa.String(length=32), nullable=True),
    sa.Column('reference', sa.String(length=24), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], ),
    sa.PrimaryKeyConstraint('transaction_id')
    )
    with op.batch_alter_table('bank_transfers', schema=None) as batch_op:
        batch_op.create_index('ix_bank_transfer_invoice', ['invoice_id'], unique=False)

    op.create_table('invoice_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('invoice_id', sa.String(length=32), nullable=False),
    sa.Column('at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=True),
    sa.Column('provider', sa.String(length=16), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('invoice_events', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_events_invoice', ['invoice_id', 'id'], unique=False)
        batch_op.create_index('uq_invoice_paid_once', ['invoice_id'], unique=True,
                              sqlite_where=sa.text("action = 'paid'"), postgresql_where=sa.text("action = 'paid'"))

    op.create_table('payment_attempts',
    sa.Column('txn_ref', sa.String(length=64), nullable=False),
    sa.Column('invoice_id', sa.String(length=32), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('bank_code', sa.String(length=16), nullable=True),
    sa.Column('locale', sa.String(length=4), nullable=False),
    sa.Column('ip_addr', sa.String(length=64), nullable=False),
    sa.Column('device_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('settled_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('settled_via', sa.String(length=16), nullable=True),
    sa.Column('response_code', sa.String(length=8), nullable=True),
    sa.Column('transaction_status', sa.String(length=8), nullable=True),
    sa.Column('transaction_no', sa.String(length=32), nullable=True),
    sa.Column('pay_bank_code', sa.String(length=32), nullable=True),
    sa.Column('pay_date', UtcDateTime(timezone=True), nullable=True),
    sa.Column('refunded_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('queried_at', UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], ),
    sa.PrimaryKeyConstraint('txn_ref')
    )
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_attempt_invoice', ['invoice_id'], unique=False)
        batch_op.create_index('ix_attempt_status_created', ['status', 'created_at'], unique=False)

    op.create_table('reconciliation_items',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('expected_amount', sa.BigInteger(), nullable=True),
    sa.Column('invoice_id', sa.String(length=32), nullable=True),
    sa.Column('reference', sa.String(length=24), nullable=True),
    sa.Column('bank_transaction_id', sa.String(length=64), nullable=True),
    sa.Column('txn_ref', sa.String(length=64), nullable=True),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=64), nullable=True),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['bank_transaction_id'], ['bank_transfers.transaction_id'], ),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], ),
    sa.ForeignKeyConstraint(['txn_ref'], ['payment_attempts.txn_ref'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reconciliation_items', schema=None) as batch_op:
        batch_op.create_index('ix_reconciliation_invoice', ['invoice_id'], unique=False)
        batch_op.create_index('ix_reconciliation_status', ['status', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_table('reconciliation_items')
    op.drop_table('payment_attempts')
    op.drop_table('invoice_events')
    op.drop_table('bank_transfers')
    op.drop_table('invoices')
