"""Web forms of the broker workspace and the express-interest button."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from marketplace.deals.services import MAX_NOTE
from marketplace.formtools import OnceFormMixin, required
from marketplace.vocab import DEAL_FAILURE_REASONS, DEAL_STAGES


class InterestForm(OnceFormMixin, FlaskForm):
    achievement_id = HiddenField(validators=[required()])
    demand_id = SelectField(_l("For my demand (optional)"), validate_choice=False)
    note = TextAreaField(_l("Message (optional)"), validators=[Optional(), Length(max=MAX_NOTE)])
    submit = SubmitField(_l("Express interest"))


class StageForm(FlaskForm):
    stage = SelectField(_l("Move to"), validate_choice=False)
    failure_reason = SelectField(_l("Reason (when failed)"), validate_choice=False)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=MAX_NOTE)])
    submit = SubmitField(_l("Change stage"))

    def __init__(self, *args: Any, stages: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stage.choices = [(code, DEAL_STAGES.label(code)) for code in stages]
        self.failure_reason.choices = [("", "—"), *DEAL_FAILURE_REASONS.choices()]


class NoteForm(OnceFormMixin, FlaskForm):
    kind = SelectField(_l("Kind"), choices=[("note", _l("Note")), ("contact", _l("Contact"))])
    note = TextAreaField(_l("Text"), validators=[required(), Length(max=MAX_NOTE)])
    submit = SubmitField(_l("Add to timeline"))


class AssignForm(FlaskForm):
    broker_id = SelectField(_l("Broker"), coerce=int, validate_choice=False)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=MAX_NOTE)])
    submit = SubmitField(_l("Assign"))


class ClaimForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=MAX_NOTE)])
    submit = SubmitField(_l("Claim"))


class NewDealForm(OnceFormMixin, FlaskForm):
    achievement_id = IntegerField(
        _l("Achievement number"), validators=[required(), NumberRange(min=1)]
    )
    demand_id = IntegerField(
        _l("Demand number (optional)"), validators=[Optional(), NumberRange(min=1)]
    )
    buyer_org_id = SelectField(_l("Buyer organisation"), coerce=int, validate_choice=False)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=MAX_NOTE)])
    submit = SubmitField(_l("Open deal"))
