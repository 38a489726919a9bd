"""listing matches: one row per pair and per ranked list (the demand's or the achievement's)

A listing's refresh used to delete every pair naming it, including pairs the other side had
ranked; after a bulk import an achievement whose matching ran first could end with none. Each
side now keeps its own rows. A pair stored before this revision was shown on both listings'
pages, so it is kept for both lists (copied for the achievement); each side's next refresh
replaces its own copy.

Revision ID: e5b20c7a4d18
Revises: d3f1a9c4e217
Create Date: 2026-12-03 15:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e5b20c7a4d18'
down_revision = 'd3f1a9c4e217'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('listing_matches', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('ranked_by', sa.String(length=11), server_default='demand', nullable=False)
        )
        batch_op.drop_constraint('uq_listing_matches_pair', type_='unique')
    op.execute(
        "INSERT INTO listing_matches (demand_id, achievement_id, ranked_by, score, reasons, computed_at) "
        "SELECT demand_id, achievement_id, 'achievement', score, reasons, computed_at "
        "FROM listing_matches"
    )
    with op.batch_alter_table('listing_matches', schema=None) as batch_op:
        batch_op.alter_column('ranked_by', server_default=None)
        batch_op.create_unique_constraint(
            'uq_listing_matches_pair', ['demand_id', 'achievement_id', 'ranked_by']
        )
        batch_op.create_check_constraint(
            op.f('ck_listing_matches_ranked_by'), "ranked_by IN ('demand', 'achievement')"
        )


def downgrade():
    op.execute("DELETE FROM listing_matches WHERE ranked_by = 'achievement' AND EXISTS ("
               "SELECT 1 FROM listing_matches AS d WHERE d.ranked_by = 'demand' "
               "AND d.demand_id = listing_matches.demand_id "
               "AND d.achievement_id = listing_matches.achievement_id)")
    with op.batch_alter_table('listing_matches', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_listing_matches_ranked_by'), type_='check')
        batch_op.drop_constraint('uq_listing_matches_pair', type_='unique')
        batch_op.create_unique_constraint(
            'uq_listing_matches_pair', ['demand_id', 'achievement_id']
        )
        batch_op.drop_column('ranked_by')
