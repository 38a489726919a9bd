"""Vocabularies used only by technology contracts (plan categories of the registration form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.vocab import Vocabulary

# 计划类别 of the national registration form: which science plan, if any, funded the work.
PLAN_CATEGORIES = Vocabulary("plan_category", [
    ("national", _l("National plan")),
    ("ministerial", _l("Ministry or department plan")),
    ("provincial", _l("Provincial plan")),
    ("local", _l("City or county plan")),
    ("none", _l("Outside any plan")),
])
