"""registration office: signed copies, 核定 and certificates on contracts, bulletins

Revision ID: c15a7e2d9b01
Revises: c14a7e1d0b31
Create Date: 2026-12-03 07:50:00

"""
import sqlalchemy as sa
from alembic import op

import marketplace.database

# revision identifiers, used by Alembic.
revision = 'c15a7e2d9b01'
down_revision = 'c14a7e1d0b31'
branch_labels = None
depends_on = None

REJECT_CODES = ("'incomplete', 'not_technical', 'amount_mismatch', 'party_details', "
                "'signed_copy', 'duplicate', 'other'")


def upgrade():
    # Plain ALTER TABLE ADD COLUMN on both databases: a batch (copy-and-move) rebuild of
    # contracts on SQLite would drop the triggers that freeze registered contracts.
    op.add_column('contracts', sa.Column('submitted_at', marketplace.database.UTCDateTime(),
                                         nullable=True))
    op.add_column('contracts', sa.Column('verification_note', sa.Text(), nullable=True))
    op.add_column('contracts', sa.Column('verification_code', sa.String(length=16),
                                         nullable=True))
    op.add_column('contracts', sa.Column('tax_exempt', sa.Boolean(), nullable=True))
    reject_check = f"reject_code IS NULL OR reject_code IN ({REJECT_CODES})"
    verified_check = ("verified_tech_amount IS NULL OR (verified_tech_amount >= 0 AND "
                      "verified_tech_amount <= contract_amount)")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds constraints only with the column (column-level CHECKs may name others).
        op.execute("ALTER TABLE contracts ADD COLUMN verified_tech_amount BIGINT "
                   f"CONSTRAINT ck_contracts_verified_tech_amount CHECK ({verified_check})")
        op.execute("ALTER TABLE contracts ADD COLUMN reject_code VARCHAR(30) "
                   f"CONSTRAINT ck_contracts_reject_code CHECK ({reject_check})")
    else:
        op.add_column('contracts', sa.Column('reject_code', sa.String(length=30),
                                             nullable=True))
        op.add_column('contracts', sa.Column('verified_tech_amount',
                                             marketplace.database.Money(), nullable=True))
        op.create_check_constraint(op.f('ck_contracts_reject_code'), 'contracts', reject_check)
        op.create_check_constraint(op.f('ck_contracts_verified_tech_amount'), 'contracts',
                                   verified_check)

    op.create_table(
        'contract_signed_copies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('original_name', sa.String(length=200), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('uploaded_at', marketplace.database.UTCDateTime(), nullable=False),
        sa.CheckConstraint('size_bytes > 0', name=op.f('ck_contract_signed_copies_size')),
        sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], ondelete='CASCADE',
                                name=op.f('fk_contract_signed_copies_contract_id_contracts')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'],
                                name=op.f('fk_contract_signed_copies_uploaded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_signed_copies')),
        sa.UniqueConstraint('contract_id', name=op.f('uq_contract_signed_copies_contract_id')),
    )

    op.create_table(
        'bulletins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('region', sa.String(length=6), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('xlsx', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', marketplace.database.UTCDateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('month BETWEEN 1 AND 12', name=op.f('ck_bulletins_month')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_bulletins_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletins')),
        sa.UniqueConstraint('year', 'month', 'region', name=op.f('uq_bulletins_year')),
    )

    # Contracts waiting today have waited since their last submission (from the audit trail).
    op.execute(
        "UPDATE contracts SET submitted_at = (SELECT MAX(h.created_at) FROM contract_history h "
        "WHERE h.contract_id = contracts.id AND h.action = 'submit') WHERE status = 'submitted'")


def downgrade():
    op.drop_table('bulletins')
    op.drop_table('contract_signed_copies')
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f('ck_contracts_verified_tech_amount'), 'contracts', type_='check')
        op.drop_constraint(op.f('ck_contracts_reject_code'), 'contracts', type_='check')
    # (On SQLite the columns go with their CHECKs only on a table rebuild; not done here.)
    for column in ('tax_exempt', 'verification_code', 'verification_note',
                   'verified_tech_amount', 'submitted_at', 'reject_code'):
        op.drop_column('contracts', column)
