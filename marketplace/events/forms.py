"""Web forms of events: create, sign up, review, check in, appointments, outcomes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.events.services import MAX_TEXT, MAX_TITLE
from marketplace.events.vocab import EVENT_TYPES, OUTCOME_KINDS
from marketplace.formtools import OnceFormMixin


class EventForm(OnceFormMixin, FlaskForm):
    type = SelectField(_l("Kind of event"), choices=EVENT_TYPES.choices)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=MAX_TITLE)])
    starts_at = DateTimeLocalField(_l("Begins (Beijing time)"), validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends (Beijing time)"), validators=[DataRequired()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=MAX_TITLE)])
    online = BooleanField(_l("Online"))
    capacity = IntegerField(
        _l("Capacity (organisations)"),
        default=50,
        validators=[DataRequired(), NumberRange(min=1, max=100_000)],
    )
    slot_minutes = IntegerField(
        _l("Length of a 1-on-1 slot (minutes)"),
        default=20,
        validators=[DataRequired(), NumberRange(min=5, max=240)],
    )
    listing_ids = StringField(
        _l("Listings presented (ids, separated by commas)"),
        validators=[Optional(), Length(max=1000)],
    )
    lot_ids = StringField(
        _l("Lots presented (ids, separated by commas)"), validators=[Optional(), Length(max=1000)]
    )
    description = TextAreaField(
        lazy_pgettext("event", "Description"), validators=[Optional(), Length(max=MAX_TEXT)]
    )
    submit = SubmitField(_l("Announce the event"))


class SignupForm(FlaskForm):
    contact = StringField(
        _l("Contact person and phone"), validators=[DataRequired(), Length(max=MAX_TITLE)]
    )
    reason = TextAreaField(
        _l("Why you come, what you look for"), validators=[Optional(), Length(max=MAX_TEXT)]
    )
    submit = SubmitField(_l("Sign up"))


class CheckinForm(FlaskForm):
    code = StringField(_l("Check-in code"), validators=[DataRequired(), Length(max=12)])
    submit = SubmitField(_l("Check in"))


class AppointmentForm(FlaskForm):
    invitee_signup_id = SelectField(_l("Meet"), coerce=int, validate_choice=False)
    slot_start = SelectField(_l("Slot"), validate_choice=False)
    topic = StringField(_l("Topic"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Ask for a meeting"))


class OutcomeForm(FlaskForm):
    seller_org_id = SelectField(_l("Seller"), coerce=int, validate_choice=False)
    buyer_org_id = SelectField(_l("Buyer"), coerce=int, validate_choice=False)
    achievement_id = SelectField(_l("Achievement (optional)"), coerce=int, validate_choice=False)
    kind = SelectField(_l("Outcome"), choices=OUTCOME_KINDS.choices)
    amount = StringField(
        _l("Intended amount (yuan, optional)"), validators=[Optional(), Length(max=30)]
    )
    signed_before_event = BooleanField(_l("Signed before the event"))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Record the outcome"))
