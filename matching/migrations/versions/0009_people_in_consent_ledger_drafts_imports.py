"""people and CVs in: consent ledger, leaving the register, CV drafts, person imports

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('person_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('file_format', sa.String(length=10), nullable=False),
    sa.Column('file_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='import_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('total_lines', sa.Integer(), nullable=False),
    sa.Column('processed_lines', sa.Integer(), nullable=False),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('updated_count', sa.Integer(), nullable=False),
    sa.Column('unchanged_count', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('job_id', sa.String(length=80), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_person_imports_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_person_imports_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_imports'))
    )
    with op.batch_alter_table('person_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_imports_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('consent_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jobseeker_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('share_with_employers', 'contact_by_email', 'joint_recruitment', name='consent_kind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('given', sa.Boolean(), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.Enum('in_person', 'digital', 'paper', 'imported', name='consent_channel', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['jobseeker_id'], ['jobseekers.id'], name=op.f('fk_consent_events_jobseeker_id_jobseekers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_consent_events_organisation_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_consent_events_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_events'))
    )
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_events_jobseeker_id'), ['jobseeker_id'], unique=False)
        batch_op.create_index('ix_consent_events_person_kind', ['jobseeker_id', 'kind', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_events_recorded_by_id'), ['recorded_by_id'], unique=False)

    op.create_table('cv_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jobseeker_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=120), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('file_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('text_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('parsed', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('decisions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['jobseeker_id'], ['jobseekers.id'], name=op.f('fk_cv_drafts_jobseeker_id_jobseekers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_cv_drafts_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_cv_drafts_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cv_drafts'))
    )
    with op.batch_alter_table('cv_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cv_drafts_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cv_drafts_jobseeker_id'), ['jobseeker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cv_drafts_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('jobseekers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('street_address', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('left_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('exit_reason', sa.Enum('job', 'education', 'other_support', 'moved', 'other', name='exit_reason', native_enum=False, create_constraint=True, length=40), nullable=True))
        batch_op.add_column(sa.Column('exit_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_jobseekers_anonymised_at'), ['anonymised_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobseekers_left_on'), ['left_on'], unique=False)

    _consent_ledger_from_flags()


FLAGS = (
    ('consent_share_with_employers', 'share_with_employers'),
    ('consent_contact_by_email', 'contact_by_email'),
    ('consent_joint_recruitment', 'joint_recruitment'),
)


def _consent_ledger_from_flags() -> None:
    """Each consent already given becomes a ledger event, dated when the flags last changed
    and marked as carried over (who recorded it was never stored)."""
    bind = op.get_bind()
    people = sa.table(
        'jobseekers',
        sa.column('id', sa.Integer()),
        sa.column('created_at', sa.DateTime(timezone=True)),
        sa.column('consent_updated_at', sa.DateTime(timezone=True)),
        *(sa.column(flag, sa.Boolean()) for flag, _ in FLAGS),
    )
    events = sa.table(
        'consent_events',
        sa.column('jobseeker_id', sa.Integer()),
        sa.column('kind', sa.String()),
        sa.column('given', sa.Boolean()),
        sa.column('given_on', sa.Date()),
        sa.column('recorded_at', sa.DateTime(timezone=True)),
        sa.column('channel', sa.String()),
        sa.column('note', sa.String()),
    )
    rows = []
    for person in bind.execute(sa.select(people)).mappings():
        when = person['consent_updated_at'] or person['created_at']
        for flag, kind in FLAGS:
            if person[flag]:
                rows.append({
                    'jobseeker_id': person['id'],
                    'kind': kind,
                    'given': True,
                    'given_on': when.date(),
                    'recorded_at': when,
                    'channel': 'imported',
                    'note': 'Overført fra de tidligere samtykkefelter',
                })
        if len(rows) >= 5000:
            op.bulk_insert(events, rows)
            rows = []
    if rows:
        op.bulk_insert(events, rows)



def downgrade() -> None:
    with op.batch_alter_table('jobseekers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobseekers_left_on'))
        batch_op.drop_index(batch_op.f('ix_jobseekers_anonymised_at'))
        batch_op.drop_column('anonymised_at')
        batch_op.drop_column('exit_note')
        batch_op.drop_constraint('exit_reason', type_='check')
        batch_op.drop_column('exit_reason')
        batch_op.drop_column('left_on')
        batch_op.drop_column('street_address')

    with op.batch_alter_table('cv_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cv_drafts_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_cv_drafts_jobseeker_id'))
        batch_op.drop_index(batch_op.f('ix_cv_drafts_expires_at'))

    op.drop_table('cv_drafts')
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_events_recorded_by_id'))
        batch_op.drop_index('ix_consent_events_person_kind')
        batch_op.drop_index(batch_op.f('ix_consent_events_jobseeker_id'))

    op.drop_table('consent_events')
    with op.batch_alter_table('person_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_imports_organisation_id'))

    op.drop_table('person_imports')
