"""listings: the newest-first index carries the id, so a list page is found in the index alone

Public lists order by (published_at DESC, id DESC). With the id in the index, the ids of page N
come from an index-only walk and only the page's 20 rows are read (queries.page_of); before,
page 2,500 of 100,000 listings read 50,000 wide rows and their organisations.

Revision ID: b91c3d5e7f20
Revises: f3a8d2c61b07
Create Date: 2026-12-04 10:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b91c3d5e7f20'
down_revision = 'f3a8d2c61b07'
branch_labels = None
depends_on = None


NEW = ('ix_listings_kind_status_published_id', ['kind', 'status', 'published_at', 'id'])
OLD = ('ix_listings_kind_status_published', ['kind', 'status', 'published_at'])


def _swap(create, drop):
    if op.get_bind().dialect.name == 'postgresql':
        # CONCURRENTLY, outside the migration's transaction: listing writes go on while the
        # index is built (docs/deployment.md, "Upgrading without downtime"); the old index
        # serves the lists until the new one is ready.
        with op.get_context().autocommit_block():
            op.create_index(create[0], 'listings', create[1], unique=False,
                            postgresql_concurrently=True, if_not_exists=True)
            op.drop_index(drop[0], table_name='listings', postgresql_concurrently=True,
                          if_exists=True)
        return
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.create_index(create[0], create[1], unique=False)
        batch_op.drop_index(drop[0])


def upgrade():
    _swap(NEW, OLD)


def downgrade():
    _swap(OLD, NEW)
