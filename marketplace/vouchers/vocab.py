"""Coded vocabularies of innovation vouchers (SPEC §6.2) with translated labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.vocab import Vocabulary

SERVICE_TYPES = Vocabulary(
    "voucher_service",
    [
        ("development", _l("Technology development")),
        ("service", _l("Technical service / consulting")),
        ("testing", _l("Inspection and testing")),
        ("instrument", _l("Shared instruments")),
    ],
)

PAYEE_MODES = Vocabulary(
    "payee_mode",
    [
        ("enterprise", _l("Enterprise is reimbursed (通用)")),
        ("provider", _l("Provider is paid (通兑)")),
    ],
)

SCHEME_STATUSES = Vocabulary(
    "scheme_status",
    [
        ("draft", _l("Draft")),
        ("open", _l("Open")),
        ("closed", _l("Closed")),
    ],
)

PROVIDER_STATUSES = Vocabulary(
    "provider_status",
    [
        ("approved", _l("Approved")),
        ("suspended", _l("Suspended")),
    ],
)

VOUCHER_STATUSES = Vocabulary(
    "voucher_status",
    [
        ("applied", _l("Applied")),
        ("approved", _l("Amount approved")),
        ("refused", _l("Refused")),
        ("ordered", _l("Ordered with a provider")),
        ("confirmed", _l("Confirmed by the provider")),
        ("redeem_requested", _l("Redemption requested")),
        ("publicised", _l("In publication (公示)")),
        ("redeemed", _l("Redeemed")),
        ("expired", _l("Expired")),
        ("revoked", _l("Revoked")),
    ],
)

# Statuses in which an approved amount is committed against the scheme's budget.
COMMITTED_STATUSES = ("approved", "ordered", "confirmed", "redeem_requested", "publicised")
# Statuses after use with a provider (the order amount counts as used).
USED_STATUSES = ("ordered", "confirmed", "redeem_requested", "publicised", "redeemed")

REFUSAL_CODES = Vocabulary(
    "voucher_refusal",
    [
        ("ineligible", _l("The enterprise is not eligible for this scheme")),
        ("budget_exhausted", _l("The scheme's budget is exhausted")),
        ("cap_exceeded", _l("The amount exceeds the scheme's caps")),
        ("incomplete", _l("The application is incomplete")),
        ("related_party", _l("Related parties")),
        ("duplicate_funding", _l("Already funded for the same work")),
        ("other", _l("Other reason")),
    ],
)

REVIEW_REJECT_CODES = Vocabulary(
    "voucher_review_reject",
    [
        ("documents", _l("Documents missing or not valid")),
        ("amount", _l("Amounts do not agree")),
        ("not_delivered", _l("Service not delivered")),
        ("related_party", _l("Related parties")),
        ("other", _l("Other reason")),
    ],
)

DOCUMENT_KINDS = Vocabulary(
    "voucher_document",
    [
        ("contract", _l("Contract")),
        ("invoice", _l("Invoice")),
        ("payment", _l("Proof of payment")),
        ("result", _l("Result or report")),
    ],
)

# Organisation kinds a scheme may admit (SPEC §1).
ORG_KIND_CODES = ("enterprise", "university", "institute", "agency")
