"""invoices: paid at the cashier (at_cashier), the receipt's number and the payment's reference

`status` may now also be `void` (its ticket was cancelled before it was paid): a String(16)
already, so no change there. Old paid invoices have no receipt number: their receipt shows the
invoice's reference instead (domain.invoices.receipt_of).

Revision ID: 0009_h17b_invoice_counter
Revises: 0008
Create Date: 2026-12-02 16:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_h17b_invoice_counter'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('at_cashier', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('receipt_no', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('payment_ref', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_column('payment_ref')
        batch_op.drop_column('receipt_no')
        batch_op.drop_column('at_cashier')
