"""The text of every notification kind, rendered in the reader's language when shown."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace import vocab
from marketplace.vocab import APPLICATION_STATUSES

MESSAGES: dict[str, Any] = {
    "org_verified": _l("Your organisation %(org)s has been verified."),
    "join_request": _l("%(email)s asks to join %(org)s; activate the account if that is right."),
    "user_activated": _l("Your account has been activated."),
    "role_changed": _l("Your role is now %(role)s."),
    "password_changed": _l("Your password was changed and your other sessions were signed out."),
    "listing_approved": _l("Your listing \u201c%(title)s\u201d was approved and is now public."),
    "listing_rejected": _l("Your listing \u201c%(title)s\u201d was rejected: %(reason)s"),
    "challenge_application": _l(
        "A new application was submitted to your challenge \u201c%(title)s\u201d."
    ),
    "application_status": _l("Your application to \u201c%(title)s\u201d is now %(status)s."),
    "match_suggested": _l("A strong new match was found for \u201c%(title)s\u201d."),
    "interest_expressed": _l("%(org)s is interested in \u201c%(title)s\u201d."),
    "deal_stage": _l("The deal \u201c%(title)s\u201d moved to %(stage)s."),
    "contract_status": _l("The contract \u201c%(title)s\u201d is now %(status)s."),
    "lot_status": _l("The lot \u201c%(title)s\u201d is now %(status)s."),
    "lot_registration": _l("%(org)s registered to bid on \u201c%(title)s\u201d."),
    "lot_bidder_approved": _l("You may bid on \u201c%(title)s\u201d as bidder No. %(number)s."),
    "lot_outbid": _l("You were outbid on \u201c%(title)s\u201d: the top bid is now %(amount)s."),
    "lot_bidding_scheduled": _l("Bidding on \u201c%(title)s\u201d starts at %(starts)s."),
    "lot_default": _l("The winner of \u201c%(title)s\u201d defaulted; its deposit is forfeited."),
    "voucher_status": _l("Innovation voucher #%(id)s is now %(status)s."),
    "booking_status": _l("The booking of \u201c%(name)s\u201d is now %(status)s."),
    "expert_added": _l("You were added to the expert library."),
    "expert_senior": _l(
        "You are now a senior expert: %(reviews)s reviews in two years, all rated at least 90."
    ),
    "expert_removed": _l(
        "You were removed from the expert library: your reviews' average rating was %(average)s."
    ),
    "evaluation_requested": _l("An evaluation of \u201c%(title)s\u201d was requested."),
    "panel_invited": _l("You were seated on the evaluation panel of \u201c%(title)s\u201d."),
    "evaluation_completed": _l("The evaluation of \u201c%(title)s\u201d is complete."),
    "event_signup": _l("%(org)s signed up for \u201c%(title)s\u201d."),
    "event_signup_approved": _l("Your sign-up for \u201c%(title)s\u201d was approved."),
    "event_signup_refused": _l("Your sign-up for \u201c%(title)s\u201d was refused."),
    "appointment_requested": _l("%(org)s asks for a meeting at \u201c%(title)s\u201d."),
    "appointment_accepted": _l("%(org)s accepted your meeting request."),
}


# Parameters stored as codes, shown through their labels in the reader's language (stored
# notifications keep the code, so a reader who switches language sees the new labels too).
CODED_PARAMS: dict[str, dict[str, vocab.Vocabulary]] = {
    "contract_status": {"status": vocab.CONTRACT_STATUSES},
    "deal_stage": {"stage": vocab.DEAL_STAGES},
    "application_status": {"status": APPLICATION_STATUSES},
    "role_changed": {"role": vocab.ROLES},
}


def register_coded_params(kind: str, **vocabularies: vocab.Vocabulary) -> None:
    """Show the named parameters of ``kind`` through these labels (feature packages register
    their own statuses, so this package needs none of theirs)."""
    CODED_PARAMS.setdefault(kind, {}).update(vocabularies)


def _shown(kind: str, key: str, value: Any) -> str:
    vocabulary = CODED_PARAMS.get(kind, {}).get(key)
    if vocabulary is not None and isinstance(value, str) and value in vocabulary:
        return vocabulary.label(value)
    return str(value)  # free text, or a label written before codes were stored


def render_message(kind: str, params: dict[str, Any]) -> str:
    template = MESSAGES.get(kind)
    if template is None:
        return _("Notification: %(kind)s", kind=kind)
    try:
        return str(template) % {key: _shown(kind, key, value) for key, value in params.items()}
    except (KeyError, TypeError, ValueError):
        return str(template)
