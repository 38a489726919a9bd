"""PostgreSQL search columns: listings.search_vector (GIN), search_hash, search_words

The vector and hash are filled by the application (jieba runs in Python) when a listing is
written; existing rows get theirs from ``marketplace search reindex`` (run it once after this
upgrade on PostgreSQL; until then those rows are not found by the PostgreSQL backend). On SQLite
the columns exist but stay empty (the Whoosh index serves searches).

Revision ID: c17a5e4fd001
Revises: c15a7e2d9b01
Create Date: 2026-12-03 07:50:00

"""
from alembic import op
import sqlalchemy as sa

import marketplace.database


# revision identifiers, used by Alembic.
revision = 'c17a5e4fd001'
down_revision = 'c15a7e2d9b01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_vector', marketplace.database.SearchVector(),
                                      nullable=True))
        batch_op.add_column(sa.Column('search_hash', sa.String(length=40), nullable=True))
    # GIN on PostgreSQL; on SQLite a plain index over a column that stays NULL. The column is
    # new and empty, so building it takes no time (no CONCURRENTLY needed).
    op.create_index('ix_listings_search_vector', 'listings', ['search_vector'],
                    unique=False, postgresql_using='gin')
    op.create_table('search_words',
    sa.Column('word', sa.String(length=100), nullable=False),
    sa.Column('doc_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('word', name=op.f('pk_search_words'))
    )


def downgrade():
    op.drop_table('search_words')
    op.drop_index('ix_listings_search_vector', table_name='listings')
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_column('search_hash')
        batch_op.drop_column('search_vector')
