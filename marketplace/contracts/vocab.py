"""Vocabularies used only by technology contracts (plan categories of the registration form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.vocab import Vocabulary

# 计划类别 of the national registration form: which science plan, if any, funded the work.
PLAN_CATEGORIES = Vocabulary(
    "plan_category",
    [
        ("national", _l("National plan")),
        ("ministerial", _l("Ministry or department plan")),
        ("provincial", _l("Provincial plan")),
        ("local", _l("City or county plan")),
        ("none", _l("Outside any plan")),
    ],
)

# Why a registrar sends a contract back (the refusal codes registration offices use).
REJECT_REASONS = Vocabulary(
    "reject_reason",
    [
        ("incomplete", _l("Incomplete documents (材料不全)")),
        ("not_technical", _l("Not a technology contract (非技术合同)")),
        ("amount_mismatch", _l("Amounts do not agree (金额不符)")),
        ("party_details", _l("Party details wrong or missing")),
        ("signed_copy", _l("Signed copy missing, unreadable or unsigned")),
        ("duplicate", _l("Already registered (重复登记)")),
        ("other", _l("Other reason")),
    ],
)

# Contract types whose technical income may be exempt from VAT when registered
# (技术转让、技术开发免征增值税; a licence is a transfer of the right to use).
TAX_EXEMPT_TYPES = ("development", "transfer", "license")
