"""bank_transfers: payer name, account and transfer content encrypted (payer_enc)

New rows keep these only in payer_enc (the PII vault, keyed from TIEPDON_PII_KEY); the old clear
columns stay for the schema's shape and are written empty. Rows written in clear by an earlier
version are sealed by the server at start-up (backend.services.payments.seal_clear_transfers):
the migration itself never needs the encryption key, so `tiepdon db upgrade` can run without it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 13:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bank_transfers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payer_enc', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bank_transfers', schema=None) as batch_op:
        batch_op.drop_column('payer_enc')
