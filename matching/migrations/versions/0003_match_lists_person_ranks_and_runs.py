"""match lists: person ranks and runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('match_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('model_version', sa.String(length=80), nullable=False),
    sa.Column('rules_version', sa.String(length=40), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('considered', sa.Integer(), nullable=False),
    sa.Column('listed', sa.Integer(), nullable=False),
    sa.Column('excluded', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.CheckConstraint("subject_kind IN ('vacancy', 'jobseeker')", name=op.f('ck_match_runs_subject_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_runs')),
    sa.UniqueConstraint('subject_kind', 'subject_id', name=op.f('uq_match_runs_subject_kind_subject_id'))
    )
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_rank', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('promoted', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.alter_column('rank',
               existing_type=sa.SMALLINT(),
               nullable=True)
        batch_op.drop_index(batch_op.f('ix_matches_jobseeker_id'))
        batch_op.create_index('ix_matches_jobseeker_rank', ['jobseeker_id', 'person_rank'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_index('ix_matches_jobseeker_rank')
        batch_op.create_index(batch_op.f('ix_matches_jobseeker_id'), ['jobseeker_id'], unique=False)
        batch_op.alter_column('rank',
               existing_type=sa.SMALLINT(),
               nullable=False)
        batch_op.drop_column('promoted')
        batch_op.drop_column('person_rank')

    op.drop_table('match_runs')
