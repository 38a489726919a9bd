"""PostgreSQL search rows: listing_search, one narrow row per listing (GIN on its words)

Searches and facet counts read this table instead of the wide ``listings`` heap. On
PostgreSQL the upgrade fills it from the existing listings (their ``search_vector`` as it is;
``marketplace search reindex`` rewrites both); on SQLite it exists and stays empty.

The projection below is this revision's copy of marketplace.search.search_rows.ROW_SQL (a
migration must not change when the application does); ``marketplace search check`` reports any
row that differs from the application's current projection.

Revision ID: f3a8d2c61b07
Revises: e5b20c7a4d18
Create Date: 2026-12-03 18:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import marketplace.database


# revision identifiers, used by Alembic.
revision = 'f3a8d2c61b07'
down_revision = 'e5b20c7a4d18'
branch_labels = None
depends_on = None

_AMOUNT = (
    "(CASE WHEN l.kind = 'achievement' THEN l.price ELSE COALESCE(l.budget_max, l.budget_min) END)"
)
_REGION = "COALESCE(NULLIF(l.region, ''), NULLIF(o.region, ''))"
FILL = f"""
INSERT INTO listing_search (listing_id, kind, status, published_at, amount, field,
    maturity_stage, ip_type, price_band, province, modes, vector)
SELECT l.id, l.kind, l.status, l.published_at, {_AMOUNT},
    COALESCE(l.field, 'unclassified'),
    (CASE WHEN l.maturity IS NULL THEN 'unclassified' WHEN l.maturity <= 3 THEN 'research'
     WHEN l.maturity <= 5 THEN 'lab' WHEN l.maturity <= 7 THEN 'pilot' ELSE 'industrial' END),
    COALESCE(l.ip_type, 'unspecified'),
    (CASE WHEN {_AMOUNT} IS NULL THEN 'negotiable' WHEN {_AMOUNT} < 10000000 THEN 'lt100k'
     WHEN {_AMOUNT} < 50000000 THEN '100k_500k' WHEN {_AMOUNT} < 100000000 THEN '500k_1m'
     WHEN {_AMOUNT} < 500000000 THEN '1m_5m' ELSE 'gte5m' END),
    (CASE WHEN {_REGION} IS NULL THEN 'unknown' ELSE substr({_REGION}, 1, 2) || '0000' END),
    (CASE WHEN jsonb_typeof(CAST(l.modes AS jsonb)) = 'array'
     THEN CAST(l.modes AS jsonb) ELSE '[]'::jsonb END),
    l.search_vector
FROM listings l JOIN organisations o ON o.id = l.org_id
"""


def upgrade():
    op.create_table('listing_search',
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('published_at', marketplace.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('maturity_stage', sa.String(length=20), nullable=False),
    sa.Column('ip_type', sa.String(length=30), nullable=False),
    sa.Column('price_band', sa.String(length=20), nullable=False),
    sa.Column('province', sa.String(length=10), nullable=False),
    sa.Column('modes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('vector', marketplace.database.SearchVector(), nullable=True),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_listing_search_listing_id_listings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('listing_id', name=op.f('pk_listing_search'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        # Filled before the index is built: one GIN build instead of 100,000 insertions.
        op.execute(FILL)
    op.create_index('ix_listing_search_vector', 'listing_search', ['vector'], unique=False,
                    postgresql_using='gin')
    if op.get_bind().dialect.name == 'postgresql':
        # Without statistics the planner takes every search for a one-row match until
        # autovacuum gets to the new table (ANALYZE, unlike VACUUM, runs in the transaction).
        op.execute('ANALYZE listing_search')


def downgrade():
    op.drop_index('ix_listing_search_vector', table_name='listing_search',
                  postgresql_using='gin')
    op.drop_table('listing_search')
