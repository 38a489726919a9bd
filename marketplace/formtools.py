"""Form helpers: domain errors become form errors, and create forms run once per token."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired

from marketplace.errors import DomainError
from marketplace.idempotency import HasId, new_form_token, run_once

# One wording of "required" everywhere: WTForms' own catalogue says 该字段是必填字段 where the
# services say 此项为必填项, so the forms use the services' message.
REQUIRED = _l("This field is required.")


def required() -> DataRequired:
    """The required-field validator with the platform's one wording."""
    return DataRequired(message=REQUIRED)


class OnceFormMixin:
    """A create form: each rendering carries a one-time token, so pressing Back and sending the
    form again returns what the first send created instead of creating a second one."""

    form_token = HiddenField(default=new_form_token)


def apply_errors(
    form: FlaskForm, error: DomainError, *, aliases: dict[str, str] | None = None
) -> None:
    """Attach each field message to the matching form field; the rest are flashed."""
    aliases = aliases or {}
    for name, message in error.fields.items():
        field = getattr(form, aliases.get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            if isinstance(field.errors, tuple):
                field.errors = list(field.errors)
            field.errors.append(message)
        else:
            flash(message, "danger")
    if not error.fields:
        flash(error.message, "danger")


def submit_once(
    user_id: int,
    form: OnceFormMixin,
    scope: str,
    create: Callable[[], HasId],
    *,
    saved: str,
    repeated: str,
) -> int:
    """Run a create form's service once per form token (Back, double click) and tell the user
    which happened: ``saved`` when it ran now, ``repeated`` when an earlier send had already
    created the record. Returns that record's id."""
    record_id, created = run_once(user_id, scope, form.form_token.data, create)
    flash(saved if created else repeated, "success" if created else "info")
    return record_id
