"""manual_lookups: typed look-ups of unknown numbers counted per kiosk and time window

Each such look-up costs a BHXH call under the hospital's account and creates a patient record;
the count bounds them per kiosk (TIEPDON_MANUAL_LOOKUP_LIMIT) across every backend process.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 13:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

import backend.adapters.db.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'manual_lookups',
        sa.Column('channel', sa.String(length=64), nullable=False),
        sa.Column('window_start', backend.adapters.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('channel', 'window_start'),
    )


def downgrade() -> None:
    op.drop_table('manual_lookups')
