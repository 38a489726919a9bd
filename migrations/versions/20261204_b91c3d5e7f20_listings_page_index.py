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


def upgrade():
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.create_index(
            'ix_listings_kind_status_published_id',
            ['kind', 'status', 'published_at', 'id'],
            unique=False,
        )
        batch_op.drop_index('ix_listings_kind_status_published')


def downgrade():
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.create_index(
            'ix_listings_kind_status_published', ['kind', 'status', 'published_at'], unique=False
        )
        batch_op.drop_index('ix_listings_kind_status_published_id')
