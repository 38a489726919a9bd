"""listings (kind, updated_at) index

The matching worker reads the listings of one kind changed since its last look
(``updated_at > watermark``) on every job; without this index that was a scan of the whole
listings table (3 s at 100,000 achievements on a loaded SQLite).

Revision ID: 5c1e7a9d2b40
Revises: c12a7e5d90f1
Create Date: 2026-12-03 08:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5c1e7a9d2b40'
down_revision = 'c12a7e5d90f1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_listings_kind_updated_at', 'listings', ['kind', 'updated_at'],
                    unique=False)


def downgrade():
    op.drop_index('ix_listings_kind_updated_at', table_name='listings')
