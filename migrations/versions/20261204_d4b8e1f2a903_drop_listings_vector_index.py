"""listings: drop the GIN index on search_vector, which no search has read since listing_search

Searches read ``listing_search`` (release of 2026-12-03) and now ``search_postings``; the words
of ``listings.search_vector`` are only copied from, never searched, so its GIN index cost every
listing write an index update for nothing. The previous release does not read it either, so it
can go now (docs/deployment.md: contract once no running code reads the old shape).

Revision ID: d4b8e1f2a903
Revises: c7e2a9d4f611
Create Date: 2026-12-04 12:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd4b8e1f2a903'
down_revision = 'c7e2a9d4f611'
branch_labels = None
depends_on = None

INDEX = 'ix_listings_search_vector'


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        # CONCURRENTLY, outside the migration's transaction: listing writes go on meanwhile.
        with op.get_context().autocommit_block():
            op.drop_index(INDEX, table_name='listings', postgresql_concurrently=True,
                          if_exists=True)
        return
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_index(INDEX)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.create_index(INDEX, 'listings', ['search_vector'], unique=False,
                            postgresql_using='gin', postgresql_concurrently=True,
                            if_not_exists=True)
        return
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.create_index(INDEX, ['search_vector'], unique=False)
