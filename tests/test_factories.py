from decimal import Decimal

from tests.factories import ContractFactory, DealFactory


def test_factories_build_consistent_rows(app):
    deal = DealFactory()
    assert deal.buyer_org_id == deal.demand.org_id
    assert deal.seller_org_id == deal.achievement.org_id
    contract = ContractFactory(
        contract_amount=Decimal("999999999999.99"), tech_amount=Decimal("123456789012.34")
    )
    assert contract.contract_amount == Decimal("999999999999.99")
    assert contract.tech_amount == Decimal("123456789012.34")
