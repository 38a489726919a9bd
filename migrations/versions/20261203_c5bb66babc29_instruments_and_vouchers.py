"""instruments and vouchers

Revision ID: c5bb66babc29
Revises: a18c7e5d9f01
Create Date: 2026-12-03 07:32:52.060814

"""
from alembic import op
import sqlalchemy as sa

import marketplace.database


# revision identifiers, used by Alembic.
revision = 'c5bb66babc29'
down_revision = 'a18c7e5d9f01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('instruments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=60), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('model_no', sa.String(length=120), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('specification', sa.Text(), nullable=False),
    sa.Column('fee', marketplace.database.Money(), nullable=False),
    sa.Column('fee_unit', sa.String(length=10), nullable=False),
    sa.Column('open_hours', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('photo_name', sa.String(length=80), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("category IN ('analysis', 'testing', 'imaging', 'processing', 'computing', 'other')", name=op.f('ck_instruments_category')),
    sa.CheckConstraint("fee_unit IN ('hour', 'sample')", name=op.f('ck_instruments_fee_unit')),
    sa.CheckConstraint("status IN ('active', 'maintenance', 'retired')", name=op.f('ck_instruments_status')),
    sa.CheckConstraint('fee >= 0', name=op.f('ck_instruments_fee')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_instruments_created_by_id_users')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_instruments_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instruments')),
    sa.UniqueConstraint('org_id', 'ref', name='uq_instruments_org_ref')
    )
    with op.batch_alter_table('instruments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instruments_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_instruments_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_instruments_status'), ['status'], unique=False)

    op.create_table('voucher_schemes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('budget', marketplace.database.Money(), nullable=False),
    sa.Column('eligible_kinds', sa.JSON(), nullable=False),
    sa.Column('eligible_regions', sa.JSON(), nullable=False),
    sa.Column('excluded_org_ids', sa.JSON(), nullable=False),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('ratio_percent', sa.Integer(), nullable=False),
    sa.Column('cap_per_application', marketplace.database.Money(), nullable=False),
    sa.Column('cap_per_enterprise_year', marketplace.database.Money(), nullable=False),
    sa.Column('full_offset_below', marketplace.database.Money(), nullable=True),
    sa.Column('payee_mode', sa.String(length=20), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('use_by', sa.Date(), nullable=False),
    sa.Column('redeem_by', sa.Date(), nullable=False),
    sa.Column('publication_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('committed', marketplace.database.Money(), nullable=False),
    sa.Column('redeemed', marketplace.database.Money(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("payee_mode IN ('enterprise', 'provider')", name=op.f('ck_voucher_schemes_payee_mode')),
    sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name=op.f('ck_voucher_schemes_status')),
    sa.CheckConstraint('budget > 0', name=op.f('ck_voucher_schemes_budget')),
    sa.CheckConstraint('cap_per_application > 0 AND cap_per_enterprise_year >= cap_per_application', name=op.f('ck_voucher_schemes_caps')),
    sa.CheckConstraint('committed >= 0 AND redeemed >= 0 AND committed + redeemed <= budget', name=op.f('ck_voucher_schemes_within_budget')),
    sa.CheckConstraint('full_offset_below IS NULL OR full_offset_below >= 0', name=op.f('ck_voucher_schemes_full_offset_below')),
    sa.CheckConstraint('publication_days BETWEEN 0 AND 60', name=op.f('ck_voucher_schemes_publication_days')),
    sa.CheckConstraint('ratio_percent BETWEEN 1 AND 100', name=op.f('ck_voucher_schemes_ratio')),
    sa.CheckConstraint('use_by >= opens_on AND redeem_by >= use_by', name=op.f('ck_voucher_schemes_dates')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_voucher_schemes_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_schemes'))
    )
    with op.batch_alter_table('voucher_schemes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voucher_schemes_year'), ['year'], unique=False)

    op.create_table('voucher_providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', marketplace.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('approved', 'suspended')", name=op.f('ck_voucher_providers_status')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_voucher_providers_approved_by_id_users')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_voucher_providers_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_providers')),
    sa.UniqueConstraint('org_id', name=op.f('uq_voucher_providers_org_id'))
    )
    op.create_table('voucher_ties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_a_id', sa.Integer(), nullable=False),
    sa.Column('org_b_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('declared_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('org_a_id < org_b_id', name=op.f('ck_voucher_ties_ordered_pair')),
    sa.ForeignKeyConstraint(['declared_by_id'], ['users.id'], name=op.f('fk_voucher_ties_declared_by_id_users')),
    sa.ForeignKeyConstraint(['org_a_id'], ['organisations.id'], name=op.f('fk_voucher_ties_org_a_id_organisations')),
    sa.ForeignKeyConstraint(['org_b_id'], ['organisations.id'], name=op.f('fk_voucher_ties_org_b_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_ties')),
    sa.UniqueConstraint('org_a_id', 'org_b_id', name='uq_voucher_ties_pair')
    )
    with op.batch_alter_table('voucher_ties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voucher_ties_org_b_id'), ['org_b_id'], unique=False)

    op.create_table('instrument_bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('requester_org_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('samples', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', marketplace.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('used_minutes', sa.Integer(), nullable=True),
    sa.Column('used_samples', sa.Integer(), nullable=True),
    sa.Column('fee', marketplace.database.Money(), nullable=True),
    sa.Column('usage_note', sa.Text(), nullable=False),
    sa.Column('completed_at', marketplace.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voucher_id', sa.Integer(), nullable=True),
    sa.Column('voucher_amount', marketplace.database.Money(), nullable=True),
    sa.Column('created_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status != 'completed' OR (fee IS NOT NULL AND used_minutes IS NOT NULL)", name=op.f('ck_instrument_bookings_completed_has_usage')),
    sa.CheckConstraint("status IN ('requested', 'approved', 'declined', 'cancelled', 'completed')", name=op.f('ck_instrument_bookings_status')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_instrument_bookings_slot')),
    sa.CheckConstraint('fee IS NULL OR fee >= 0', name=op.f('ck_instrument_bookings_fee')),
    sa.CheckConstraint('samples >= 0', name=op.f('ck_instrument_bookings_samples')),
    sa.CheckConstraint('used_minutes IS NULL OR used_minutes >= 0', name=op.f('ck_instrument_bookings_used_minutes')),
    sa.CheckConstraint('voucher_amount IS NULL OR (voucher_amount >= 0 AND (fee IS NULL OR voucher_amount <= fee))', name=op.f('ck_instrument_bookings_voucher_amount')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_instrument_bookings_decided_by_id_users')),
    sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'], name=op.f('fk_instrument_bookings_instrument_id_instruments')),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_instrument_bookings_requester_id_users')),
    sa.ForeignKeyConstraint(['requester_org_id'], ['organisations.id'], name=op.f('fk_instrument_bookings_requester_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instrument_bookings'))
    )
    with op.batch_alter_table('instrument_bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instrument_bookings_instrument_id'), ['instrument_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_instrument_bookings_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_instrument_bookings_requester_org_id'), ['requester_org_id'], unique=False)
        batch_op.create_index('ix_instrument_bookings_slot', ['instrument_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_instrument_bookings_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_instrument_bookings_voucher_id'), ['voucher_id'], unique=False)

    op.create_table('instrument_booking_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_instrument_booking_events_actor_id_users')),
    sa.ForeignKeyConstraint(['booking_id'], ['instrument_bookings.id'], name=op.f('fk_instrument_booking_events_booking_id_instrument_bookings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instrument_booking_events'))
    )
    with op.batch_alter_table('instrument_booking_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instrument_booking_events_booking_id'), ['booking_id'], unique=False)

    op.create_table('vouchers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scheme_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('service_type', sa.String(length=20), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('requested_amount', marketplace.database.Money(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('approved_amount', marketplace.database.Money(), nullable=True),
    sa.Column('refusal_code', sa.String(length=30), nullable=True),
    sa.Column('refusal_reason', sa.Text(), nullable=False),
    sa.Column('provider_org_id', sa.Integer(), nullable=True),
    sa.Column('order_amount', marketplace.database.Money(), nullable=True),
    sa.Column('order_note', sa.Text(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('actual_cost', marketplace.database.Money(), nullable=True),
    sa.Column('redeemed_amount', marketplace.database.Money(), nullable=True),
    sa.Column('payee_mode', sa.String(length=20), nullable=False),
    sa.Column('publication_ends_at', marketplace.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('applied_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_at', marketplace.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ordered_at', marketplace.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', marketplace.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('redeem_requested_at', marketplace.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', marketplace.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('redeemed_at', marketplace.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', marketplace.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("service_type IN ('development', 'service', 'testing', 'instrument')", name=op.f('ck_vouchers_service_type')),
    sa.CheckConstraint("status IN ('applied', 'approved', 'refused', 'ordered', 'confirmed', 'redeem_requested', 'publicised', 'redeemed', 'expired', 'revoked')", name=op.f('ck_vouchers_status')),
    sa.CheckConstraint('approved_amount IS NULL OR (approved_amount > 0 AND approved_amount <= requested_amount)', name=op.f('ck_vouchers_approved_amount')),
    sa.CheckConstraint('contract_id IS NULL OR booking_id IS NULL', name=op.f('ck_vouchers_one_delivery')),
    sa.CheckConstraint('order_amount IS NULL OR (order_amount > 0 AND order_amount <= approved_amount)', name=op.f('ck_vouchers_order_amount')),
    sa.CheckConstraint('provider_org_id IS NULL OR provider_org_id != org_id', name=op.f('ck_vouchers_distinct_parties')),
    sa.CheckConstraint('redeemed_amount IS NULL OR (redeemed_amount >= 0 AND redeemed_amount <= approved_amount AND (actual_cost IS NULL OR redeemed_amount <= actual_cost))', name=op.f('ck_vouchers_redeemed_amount')),
    sa.CheckConstraint('requested_amount > 0', name=op.f('ck_vouchers_requested_amount')),
    sa.ForeignKeyConstraint(['applicant_id'], ['users.id'], name=op.f('fk_vouchers_applicant_id_users')),
    sa.ForeignKeyConstraint(['booking_id'], ['instrument_bookings.id'], name=op.f('fk_vouchers_booking_id_instrument_bookings')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_vouchers_contract_id_contracts')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_vouchers_org_id_organisations')),
    sa.ForeignKeyConstraint(['provider_org_id'], ['organisations.id'], name=op.f('fk_vouchers_provider_org_id_organisations')),
    sa.ForeignKeyConstraint(['scheme_id'], ['voucher_schemes.id'], name=op.f('fk_vouchers_scheme_id_voucher_schemes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vouchers'))
    )
    with op.batch_alter_table('vouchers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vouchers_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vouchers_provider_org_id'), ['provider_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vouchers_scheme_id'), ['scheme_id'], unique=False)
        batch_op.create_index('ix_vouchers_scheme_org', ['scheme_id', 'org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vouchers_status'), ['status'], unique=False)

    op.create_table('voucher_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('voucher_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=60), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('contract', 'invoice', 'payment', 'result')", name=op.f('ck_voucher_documents_kind')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_voucher_documents_uploaded_by_id_users')),
    sa.ForeignKeyConstraint(['voucher_id'], ['vouchers.id'], name=op.f('fk_voucher_documents_voucher_id_vouchers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_documents')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_voucher_documents_stored_name'))
    )
    with op.batch_alter_table('voucher_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voucher_documents_voucher_id'), ['voucher_id'], unique=False)

    op.create_table('voucher_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=10), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('reason_code', sa.String(length=30), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('amount', marketplace.database.Money(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('created_at', marketplace.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("subject IN ('scheme', 'provider', 'voucher', 'tie')", name=op.f('ck_voucher_events_subject')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_voucher_events_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_events'))
    )
    with op.batch_alter_table('voucher_events', schema=None) as batch_op:
        batch_op.create_index('ix_voucher_events_subject', ['subject', 'subject_id'], unique=False)

    # Bookings and vouchers point at each other: the second link is added once both exist.
    with op.batch_alter_table('instrument_bookings', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_instrument_bookings_voucher_id_vouchers'),
                                    'vouchers', ['voucher_id'], ['id'])
    if op.get_bind().dialect.name == 'postgresql':
        _postgresql_overlap_rule()
    else:
        _sqlite_overlap_rule()


HOLDING = "('approved', 'completed')"


def _postgresql_overlap_rule():
    # No two approved (or completed) bookings of one instrument overlap: an exclusion
    # constraint over the slot's half-open range, enforced by the database under concurrency.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(f"""
        ALTER TABLE instrument_bookings ADD CONSTRAINT ex_instrument_bookings_no_overlap
        EXCLUDE USING gist (instrument_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
        WHERE (status IN {HOLDING})""")


def _sqlite_overlap_rule():
    # SQLite has no exclusion constraints; triggers refuse the same rows (writers are
    # serialised by SQLite, so the check cannot race).
    for event in ("INSERT", "UPDATE"):
        op.execute(f"""
            CREATE TRIGGER instrument_bookings_no_overlap_{event.lower()}
            BEFORE {event} ON instrument_bookings
            WHEN NEW.status IN {HOLDING} AND EXISTS (
                SELECT 1 FROM instrument_bookings AS other
                WHERE other.instrument_id = NEW.instrument_id AND other.id IS NOT NEW.id
                  AND other.status IN {HOLDING}
                  AND other.starts_at < NEW.ends_at AND other.ends_at > NEW.starts_at)
            BEGIN SELECT RAISE(ABORT, 'overlapping approved bookings'); END""")


def downgrade():
    # Dropping a table drops its indexes, triggers and constraints too.
    op.drop_table('voucher_events')
    op.drop_table('voucher_documents')
    with op.batch_alter_table('instrument_bookings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_instrument_bookings_voucher_id_vouchers'),
                                 type_='foreignkey')
    op.drop_table('vouchers')
    op.drop_table('instrument_booking_events')
    op.drop_table('instrument_bookings')
    op.drop_table('voucher_ties')
    op.drop_table('voucher_providers')
    op.drop_table('voucher_schemes')
    op.drop_table('instruments')
