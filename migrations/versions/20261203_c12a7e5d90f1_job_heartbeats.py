"""job heartbeats, one queued recompute, outbox claims

Revision ID: c12a7e5d90f1
Revises: b223db769ef8
Create Date: 2026-12-03 08:15:00

"""
from alembic import op
import sqlalchemy as sa

import marketplace.database


# revision identifiers, used by Alembic.
revision = 'c12a7e5d90f1'
down_revision = 'b223db769ef8'
branch_labels = None
depends_on = None

SINGLETON_QUEUED = "state = 'queued' AND kind IN ('stats.recompute')"


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_until', marketplace.database.UTCDateTime(),
                                      nullable=True))
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', marketplace.database.UTCDateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column('worker', sa.String(length=120), nullable=True))
    # Older duplicates would break the unique index: keep the newest queued recompute.
    op.execute("UPDATE job_runs SET state = 'failed', error = 'superseded by a later request' "
               "WHERE " + SINGLETON_QUEUED + " AND id < (SELECT MAX(id) FROM job_runs "
               "WHERE " + SINGLETON_QUEUED + ")")
    op.create_index('uq_job_runs_queued_singleton', 'job_runs', ['kind'], unique=True,
                    sqlite_where=sa.text(SINGLETON_QUEUED),
                    postgresql_where=sa.text(SINGLETON_QUEUED))


def downgrade():
    op.drop_index('uq_job_runs_queued_singleton', table_name='job_runs',
                  sqlite_where=sa.text(SINGLETON_QUEUED),
                  postgresql_where=sa.text(SINGLETON_QUEUED))
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_column('worker')
        batch_op.drop_column('heartbeat_at')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('claimed_until')
