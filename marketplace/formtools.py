"""Turn domain validation errors into form errors, so views never re-implement rules."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from marketplace.errors import DomainError


def apply_errors(form: FlaskForm, error: DomainError, *, aliases: dict[str, str] | None = None
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
