"""The text of every notification kind, rendered in the reader's language when shown."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

MESSAGES: dict[str, Any] = {
    "org_verified": _l("Your organisation %(org)s has been verified."),
    "join_request": _l("%(email)s asks to join %(org)s; activate the account if that is right."),
    "user_activated": _l("Your account has been activated."),
    "role_changed": _l("Your role is now %(role)s."),
    "password_changed": _l("Your password was changed and your other sessions were signed out."),
    "listing_approved": _l("Your listing \u201c%(title)s\u201d was approved and is now public."),
    "listing_rejected": _l("Your listing \u201c%(title)s\u201d was rejected: %(reason)s"),
    "challenge_application": _l(
        "A new application was submitted to your challenge \u201c%(title)s\u201d."),
    "application_status": _l("Your application to \u201c%(title)s\u201d is now %(status)s."),
    "match_suggested": _l("A strong new match was found for \u201c%(title)s\u201d."),
    "interest_expressed": _l("%(org)s is interested in \u201c%(title)s\u201d."),
    "deal_stage": _l("The deal \u201c%(title)s\u201d moved to %(stage)s."),
    "contract_status": _l("The contract \u201c%(title)s\u201d is now %(status)s."),
}


def render_message(kind: str, params: dict[str, Any]) -> str:
    template = MESSAGES.get(kind)
    if template is None:
        return _("Notification: %(kind)s", kind=kind)
    try:
        return str(template) % {key: str(value) for key, value in params.items()}
    except (KeyError, TypeError, ValueError):
        return str(template)
