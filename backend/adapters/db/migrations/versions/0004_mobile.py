"""mobile: phone accounts, sessions, one-time codes, patient links, share codes, appointment slots,
appointments, sent notifications

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import backend.adapters.db.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

UtcDateTime = backend.adapters.db.types.UtcDateTime


def upgrade() -> None:
    op.create_table('patient_accounts',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('phone_hash', sa.String(length=64), nullable=False),
    sa.Column('phone_enc', sa.String(length=512), nullable=False),
    sa.Column('phone_masked', sa.String(length=16), nullable=False),
    sa.Column('notifications', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('phone_hash')
    )
    op.create_table('account_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['patient_accounts.id'], ),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('account_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_sessions_account_id'), ['account_id'], unique=False)

    op.create_table('otp_challenges',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('phone_hash', sa.String(length=64), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('consumed_at', UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('otp_challenges', schema=None) as batch_op:
        batch_op.create_index('ix_otp_phone_created', ['phone_hash', 'created_at'], unique=False)

    op.create_table('account_patients',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('patient_id', sa.String(length=32), nullable=False),
    sa.Column('relation', sa.String(length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('consent_channel', sa.String(length=64), nullable=False),
    sa.Column('consent_version', sa.String(length=32), nullable=False),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['patient_accounts.id'], ),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('account_patients', schema=None) as batch_op:
        batch_op.create_index('ix_account_patients_account', ['account_id', 'active'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_patients_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('uq_account_patient_active', ['account_id', 'patient_id'], unique=True,
                              sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))
        batch_op.create_index('uq_patient_self_active', ['patient_id'], unique=True,
                              sqlite_where=sa.text("active AND relation = 'self'"),
                              postgresql_where=sa.text("active AND relation = 'self'"))

    op.create_table('share_codes',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=32), nullable=False),
    sa.Column('relation', sa.String(length=8), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('consent_version', sa.String(length=32), nullable=False),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('used_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('used_by', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ),
    sa.PrimaryKeyConstraint('code_hash')
    )
    op.create_table('appointment_slots',
    sa.Column('service_code', sa.String(length=32), nullable=False),
    sa.Column('start_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('service_code', 'start_at')
    )
    with op.batch_alter_table('appointment_slots', schema=None) as batch_op:
        batch_op.create_index('ix_slots_day', ['service_code', 'day'], unique=False)

    op.create_table('appointments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('patient_id', sa.String(length=32), nullable=False),
    sa.Column('service_code', sa.String(length=32), nullable=False),
    sa.Column('coverage', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('slot_start', UtcDateTime(timezone=True), nullable=False),
    sa.Column('slot_end', UtcDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('checked_in_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('check_in_channel', sa.String(length=64), nullable=True),
    sa.Column('arrival', sa.String(length=8), nullable=True),
    sa.Column('ticket_id', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['patient_accounts.id'], ),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointments_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_appointments_day', ['day', 'status'], unique=False)
        batch_op.create_index('uq_appointment_patient_day', ['patient_id', 'service_code', 'day'],
                              unique=True, sqlite_where=sa.text("status = 'booked'"),
                              postgresql_where=sa.text("status = 'booked'"))

    op.create_table('sent_notifications',
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['patient_accounts.id'], ),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('sent_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sent_notifications_account_id'), ['account_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sent_notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sent_notifications_account_id'))
    op.drop_table('sent_notifications')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('uq_appointment_patient_day', sqlite_where=sa.text("status = 'booked'"),
                            postgresql_where=sa.text("status = 'booked'"))
        batch_op.drop_index('ix_appointments_day')
        batch_op.drop_index(batch_op.f('ix_appointments_account_id'))
    op.drop_table('appointments')
    with op.batch_alter_table('appointment_slots', schema=None) as batch_op:
        batch_op.drop_index('ix_slots_day')
    op.drop_table('appointment_slots')
    op.drop_table('share_codes')
    with op.batch_alter_table('account_patients', schema=None) as batch_op:
        batch_op.drop_index('uq_patient_self_active', sqlite_where=sa.text("active AND relation = 'self'"),
                            postgresql_where=sa.text("active AND relation = 'self'"))
        batch_op.drop_index('uq_account_patient_active', sqlite_where=sa.text('active'),
                            postgresql_where=sa.text('active'))
        batch_op.drop_index(batch_op.f('ix_account_patients_patient_id'))
        batch_op.drop_index('ix_account_patients_account')
    op.drop_table('account_patients')
    with op.batch_alter_table('otp_challenges', schema=None) as batch_op:
        batch_op.drop_index('ix_otp_phone_created')
    op.drop_table('otp_challenges')
    with op.batch_alter_table('account_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_sessions_account_id'))
    op.drop_table('account_sessions')
    op.drop_table('patient_accounts')
