"""contract history append-only; registered contracts frozen (database triggers)

Revision ID: 731eed2e9ed8
Revises: 6e18ebf75a04
Create Date: 2026-11-22 00:41:30.173477

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '731eed2e9ed8'
down_revision = '6e18ebf75a04'
branch_labels = None
depends_on = None


# The services never rewrite a registered contract or an audit row; these triggers make the
# database refuse it too, whoever connects. TRUNCATE (used by the test suite) is not affected.
FROZEN_COLUMNS = (
    "title", "type", "subtype", "seller_org_id", "buyer_org_id", "broker_id", "deal_id",
    "field", "plan_category", "signed_on", "term_end", "contract_amount", "tech_amount",
    "registration_no", "registered_at", "registered_by_id", "reject_reason", "created_by_id",
    "seller_region", "seller_kind", "buyer_region", "buyer_kind", "created_at",
)
FROZEN = "('registered', 'void')"


def _sqlite_upgrade() -> None:
    unchanged = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in FROZEN_COLUMNS)
    statements = [
        """CREATE TRIGGER contract_history_no_update BEFORE UPDATE ON contract_history
           BEGIN SELECT RAISE(ABORT, 'contract history is append-only'); END""",
        """CREATE TRIGGER contract_history_no_delete BEFORE DELETE ON contract_history
           BEGIN SELECT RAISE(ABORT, 'contract history is append-only'); END""",
        f"""CREATE TRIGGER contracts_frozen_update BEFORE UPDATE ON contracts
           WHEN OLD.status IN {FROZEN} AND NOT (
               OLD.status = 'registered' AND NEW.status = 'void' AND {unchanged})
           BEGIN SELECT RAISE(ABORT, 'a registered contract cannot be changed'); END""",
        f"""CREATE TRIGGER contracts_frozen_delete BEFORE DELETE ON contracts
           WHEN OLD.status IN {FROZEN}
           BEGIN SELECT RAISE(ABORT, 'a registered contract cannot be deleted'); END""",
    ]
    for event, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
        statements.append(
            f"""CREATE TRIGGER contract_line_items_frozen_{event.lower()}
               BEFORE {event} ON contract_line_items
               WHEN (SELECT status FROM contracts WHERE id = {row}.contract_id) IN {FROZEN}
               BEGIN SELECT RAISE(ABORT,
                   'line items of a registered contract cannot be changed'); END""")  # noqa: S608
    for statement in statements:
        op.execute(statement)


def _postgresql_upgrade() -> None:
    old = ", ".join(f"OLD.{c}" for c in FROZEN_COLUMNS)
    new = ", ".join(f"NEW.{c}" for c in FROZEN_COLUMNS)
    op.execute("""
        CREATE FUNCTION contract_history_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'contract history is append-only'
                USING ERRCODE = 'integrity_constraint_violation';
        END $$ LANGUAGE plpgsql""")
    op.execute("""
        CREATE TRIGGER contract_history_append_only BEFORE UPDATE OR DELETE ON contract_history
        FOR EACH ROW EXECUTE FUNCTION contract_history_append_only()""")
    op.execute(f"""
        CREATE FUNCTION contracts_frozen() RETURNS trigger AS $$
        BEGIN
            IF OLD.status IN {FROZEN} THEN
                IF TG_OP = 'DELETE' OR NOT (OLD.status = 'registered' AND NEW.status = 'void'
                        AND ROW({new}) IS NOT DISTINCT FROM ROW({old})) THEN
                    RAISE EXCEPTION 'a registered contract cannot be changed'
                        USING ERRCODE = 'integrity_constraint_violation';
                END IF;
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql""")
    op.execute("""
        CREATE TRIGGER contracts_frozen BEFORE UPDATE OR DELETE ON contracts
        FOR EACH ROW EXECUTE FUNCTION contracts_frozen()""")
    op.execute(f"""
        CREATE FUNCTION contract_line_items_frozen() RETURNS trigger AS $$
        DECLARE parent_status text;
        BEGIN
            SELECT status INTO parent_status FROM contracts
             WHERE id = CASE WHEN TG_OP = 'INSERT' THEN NEW.contract_id ELSE OLD.contract_id END;
            IF parent_status IN {FROZEN} THEN
                RAISE EXCEPTION 'line items of a registered contract cannot be changed'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql""")  # noqa: S608 (built from constants only)
    op.execute("""
        CREATE TRIGGER contract_line_items_frozen BEFORE INSERT OR UPDATE OR DELETE
        ON contract_line_items FOR EACH ROW EXECUTE FUNCTION contract_line_items_frozen()""")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        _postgresql_upgrade()


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("contract_history_no_update", "contract_history_no_delete",
                     "contracts_frozen_update", "contracts_frozen_delete",
                     "contract_line_items_frozen_insert", "contract_line_items_frozen_update",
                     "contract_line_items_frozen_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS contract_line_items_frozen ON contract_line_items")
        op.execute("DROP TRIGGER IF EXISTS contracts_frozen ON contracts")
        op.execute("DROP TRIGGER IF EXISTS contract_history_append_only ON contract_history")
        op.execute("DROP FUNCTION IF EXISTS contract_line_items_frozen()")
        op.execute("DROP FUNCTION IF EXISTS contracts_frozen()")
        op.execute("DROP FUNCTION IF EXISTS contract_history_append_only()")
