"""one event log for every workflow: workflow_events replaces referral_events and
forwarding_events (every row kept) and also records vacancy and export transitions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUBJECTS = (
    ('referral_id', 'referrals'),
    ('vacancy_id', 'vacancies'),
    ('forwarding_id', 'forwardings'),
    ('export_id', 'exports'),
)
ONE_SUBJECT = ' + '.join(
    f'(CASE WHEN {column} IS NULL THEN 0 ELSE 1 END)' for column, _ in SUBJECTS
) + ' = 1'
OLD = (('referral_events', 'referral_id', 'referral'), ('forwarding_events', 'forwarding_id', 'forwarding'))


def _old_table(name: str, subject: str, parent: str) -> None:
    op.create_table(
        name,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column(subject, sa.Integer(), nullable=False),
        sa.Column('from_state', sa.String(length=32), nullable=True),
        sa.Column('to_state', sa.String(length=32), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f(f'fk_{name}_actor_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint([subject], [f'{parent}.id'], name=op.f(f'fk_{name}_{subject}_{parent}'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{name}_{subject}'), [subject], unique=False)


def upgrade() -> None:
    op.create_table(
        'workflow_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workflow', sa.String(length=20), nullable=False),
        *(sa.Column(column, sa.Integer(), nullable=True) for column, _ in SUBJECTS),
        sa.Column('event', sa.String(length=32), nullable=True),
        sa.Column('from_state', sa.String(length=32), nullable=True),
        sa.Column('to_state', sa.String(length=32), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.CheckConstraint(ONE_SUBJECT, name=op.f('ck_workflow_events_one_subject')),
        sa.CheckConstraint(
            "workflow IN ('referral', 'vacancy', 'forwarding', 'export')",
            name=op.f('ck_workflow_events_workflow_name'),
        ),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_workflow_events_actor_id_users'), ondelete='SET NULL'),
        *(
            sa.ForeignKeyConstraint([column], [f'{table}.id'], name=op.f(f'fk_workflow_events_{column}_{table}'), ondelete='CASCADE')
            for column, table in SUBJECTS
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_events')),
    )
    with op.batch_alter_table('workflow_events', schema=None) as batch_op:
        for column, _ in SUBJECTS:
            batch_op.create_index(batch_op.f(f'ix_workflow_events_{column}'), [column], unique=False)
    # Every old row, in its old order within each history (ids are renumbered).
    for table, subject, workflow in OLD:
        op.execute(
            f"INSERT INTO workflow_events (workflow, {subject}, event, from_state, to_state, "
            f"actor_id, at, note) SELECT '{workflow}', {subject}, NULL, from_state, to_state, "
            f"actor_id, at, note FROM {table} ORDER BY id"
        )
    for table, subject, _ in OLD:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_{subject}'))
        op.drop_table(table)


def downgrade() -> None:
    # The referral and forwarding histories go back; vacancy and export events did not exist.
    for table, subject, workflow in OLD:
        _old_table(table, subject, 'referrals' if subject == 'referral_id' else 'forwardings')
        op.execute(
            f"INSERT INTO {table} ({subject}, from_state, to_state, actor_id, at, note) "
            f"SELECT {subject}, from_state, to_state, actor_id, at, note FROM workflow_events "
            f"WHERE workflow = '{workflow}' ORDER BY id"
        )
    with op.batch_alter_table('workflow_events', schema=None) as batch_op:
        for column, _ in SUBJECTS:
            batch_op.drop_index(batch_op.f(f'ix_workflow_events_{column}'))
    op.drop_table('workflow_events')
