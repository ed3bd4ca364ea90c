"""waiting tally: how many tickets of a service wait today, kept beside the number counter

A new ticket's place was a count over every waiting ticket of its queue, which grows with the
day; the tally turns that into one row read plus a count of the (few) tickets behind it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 02:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket_counters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting', sa.Integer(), nullable=False, server_default='0'))
    op.execute(
        "UPDATE ticket_counters SET waiting = (SELECT COUNT(*) FROM tickets t "
        "WHERE t.service_code = ticket_counters.service_code AND t.day = ticket_counters.day "
        "AND t.status = 'waiting')"
    )


def downgrade() -> None:
    with op.batch_alter_table('ticket_counters', schema=None) as batch_op:
        batch_op.drop_column('waiting')
