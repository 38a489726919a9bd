"""PostgreSQL search postings: one row per (word, published listing), facets packed in

A search reads its words' postings from the primary key's index alone (each word's own
``ts_rank``, the listing's packed facets, publication time and amount are INCLUDEd), sums the
ranks per listing and counts the facets without reading ``listing_search``; only the page's rows
are read there. The GIN index on ``listing_search.vector`` stays while hosts on the previous
release may still search with it (docs/deployment.md: expand now, contract in a later release).

On PostgreSQL the upgrade fills the table from ``listing_search`` (about 65 postings a listing)
before building its indexes; on SQLite it exists and stays empty. The projection below is this
revision's copy of marketplace.search.search_rows / facet_codes (a migration must not change
when the application does); ``marketplace search check`` reports postings that differ from the
application's current projection, ``marketplace search reindex`` rewrites them.

Revision ID: c7e2a9d4f611
Revises: b91c3d5e7f20
Create Date: 2026-12-04 12:40:00

"""
from alembic import op
import sqlalchemy as sa

import marketplace.database


# revision identifiers, used by Alembic.
revision = 'c7e2a9d4f611'
down_revision = 'b91c3d5e7f20'
branch_labels = None
depends_on = None

WORD_QUERY = (
    "CAST('''' || replace(replace(u.lexeme, '\\', '\\\\'), '''', '''''') "
    "|| '''' AS tsquery)"
)
FILL = f"""
INSERT INTO search_postings (word, listing_id, weight, facets, published_at, amount)
SELECT u.lexeme, s.listing_id, ts_rank('{{0.1, 0.2, 0.5, 1.0}}', s.vector, {WORD_QUERY}),
    ((CASE WHEN s.kind = 'demand' THEN 1 ELSE 0 END)
    + (CAST(COALESCE(array_position(ARRAY['electronic_info', 'aerospace', 'advanced_manufacturing', 'biomedicine', 'new_materials', 'new_energy', 'environment', 'nuclear', 'agriculture', 'transport', 'urban_social'], CAST(s.field AS text)), 0) AS bigint) << 1)
    + (CAST(COALESCE(array_position(ARRAY['research', 'lab', 'pilot', 'industrial'], CAST(s.maturity_stage AS text)), 0) AS bigint) << 5)
    + (CAST(COALESCE(array_position(ARRAY['invention_patent', 'utility_model', 'design', 'software', 'ic_layout', 'plant_variety', 'trade_secret', 'none'], CAST(s.ip_type AS text)), 0) AS bigint) << 8)
    + (CAST(COALESCE(array_position(ARRAY['lt100k', '100k_500k', '500k_1m', '1m_5m', 'gte5m'], CAST(s.price_band AS text)), 0) AS bigint) << 12)
    + (CAST((CASE WHEN s.province ~ '^[1-9][0-9]0000$' THEN CAST(substr(s.province, 1, 2) AS int) ELSE 0 END) AS bigint) << 15)
    + (CASE WHEN s.modes ? 'transfer' THEN CAST(4194304 AS bigint) ELSE 0 END)
    + (CASE WHEN s.modes ? 'license' THEN CAST(8388608 AS bigint) ELSE 0 END)
    + (CASE WHEN s.modes ? 'equity' THEN CAST(16777216 AS bigint) ELSE 0 END)
    + (CASE WHEN s.modes ? 'joint_development' THEN CAST(33554432 AS bigint) ELSE 0 END)
    + (CASE WHEN s.modes ? 'commissioned_development' THEN CAST(67108864 AS bigint) ELSE 0 END)
    + (CASE WHEN s.modes ? 'service' THEN CAST(134217728 AS bigint) ELSE 0 END)), s.published_at, s.amount
FROM listing_search s, unnest(s.vector) u
WHERE s.status = 'published'
"""


def upgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    # On PostgreSQL the key comes after the fill (one sorted build instead of millions of
    # insertions); SQLite cannot add a key to an existing table, and its table stays empty.
    key = [] if postgresql else [sa.PrimaryKeyConstraint('word', 'listing_id',
                                                         name=op.f('pk_search_postings'))]
    op.create_table('search_postings',
    sa.Column('word', sa.Text().with_variant(sa.Text(collation='C'), 'postgresql'), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('weight', sa.REAL(), nullable=False),
    sa.Column('facets', sa.BigInteger(), nullable=False),
    sa.Column('published_at', marketplace.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_search_postings_listing_id_listings'), ondelete='CASCADE'),
    *key,
    )
    if postgresql:
        op.execute(FILL)
        op.execute('ALTER TABLE search_postings ADD CONSTRAINT pk_search_postings '
                   'PRIMARY KEY (word, listing_id) INCLUDE (weight, facets, published_at, amount)')
    op.create_index('ix_search_postings_listing_id', 'search_postings', ['listing_id'],
                    unique=False)
    if postgresql:
        # Searches read the postings by index-only scans, which visit the heap for every page
        # the visibility map does not yet mark all-visible: 3× slower until autovacuum comes.
        # VACUUM sets the map (and ANALYZE the planner's statistics) now; it cannot run inside
        # the migration's transaction, so that commits first.
        with op.get_context().autocommit_block():
            op.execute('VACUUM (ANALYZE) search_postings')


def downgrade():
    op.drop_index('ix_search_postings_listing_id', table_name='search_postings')
    op.drop_table('search_postings')
