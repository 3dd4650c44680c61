"""session versions, member invitations, one open referral per pair, vacancy versions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_STATES = "('proposed', 'sent', 'interview')"


def upgrade() -> None:
    op.create_table('member_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nonce_hash', sa.String(length=64), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('admin', 'counsellor', 'approver', 'employer', 'organiser', name='invitation_role', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('new_user', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_member_invitations_issued_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_member_invitations_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_member_invitations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_invitations')),
    sa.UniqueConstraint('nonce_hash', name=op.f('uq_member_invitations_nonce_hash'))
    )
    with op.batch_alter_table('member_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_invitations_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_invitations_user_id'), ['user_id'], unique=False)

    # Before the index: of duplicate open referrals (same person and vacancy) the oldest stays
    # open, the later ones are withdrawn, each with an event in the log.
    op.execute(
        "INSERT INTO workflow_events (workflow, referral_id, from_state, to_state, event, note, at) "
        "SELECT 'referral', r.id, r.state, 'withdrawn', 'withdraw', "
        "'Dobbelt henvisning lukket ved opgradering.', CURRENT_TIMESTAMP FROM referrals r "
        f"WHERE r.state IN {OPEN_STATES} AND EXISTS (SELECT 1 FROM referrals o "
        "WHERE o.vacancy_id = r.vacancy_id AND o.jobseeker_id = r.jobseeker_id "
        f"AND o.state IN {OPEN_STATES} AND o.id < r.id)"
    )
    op.execute(
        f"UPDATE referrals SET state = 'withdrawn' WHERE state IN {OPEN_STATES} AND EXISTS "
        "(SELECT 1 FROM referrals o WHERE o.vacancy_id = referrals.vacancy_id "
        f"AND o.jobseeker_id = referrals.jobseeker_id AND o.state IN {OPEN_STATES} "
        "AND o.id < referrals.id)"
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('uq_referrals_open_pair', ['vacancy_id', 'jobseeker_id'], unique=True, postgresql_where=sa.text("state IN ('proposed', 'sent', 'interview')"), sqlite_where=sa.text("state IN ('proposed', 'sent', 'interview')"))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('vacancies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('vacancies', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('uq_referrals_open_pair', postgresql_where=sa.text("state IN ('proposed', 'sent', 'interview')"), sqlite_where=sa.text("state IN ('proposed', 'sent', 'interview')"))

    with op.batch_alter_table('member_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_invitations_user_id'))
        batch_op.drop_index(batch_op.f('ix_member_invitations_organisation_id'))

    op.drop_table('member_invitations')
