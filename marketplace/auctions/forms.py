"""Web forms for lots: the lot, review, registration, deposit approval, bids and reasons."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.auctions.vocab import LOT_MODES, LOT_RIGHTS
from marketplace.contracts.forms import MoneyInput
from marketplace.formtools import OnceFormMixin
from marketplace.workdays import LOCAL_TZ


def local_to_utc(value: datetime | None) -> datetime | None:
    """``datetime-local`` inputs are Beijing time."""
    return value.replace(tzinfo=LOCAL_TZ) if value is not None else None


def utc_to_local(value: datetime | None) -> datetime | None:
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None) if value is not None else None


class LotForm(OnceFormMixin, FlaskForm):
    achievement_id = SelectField(_l("Achievement"), coerce=int, validators=[DataRequired()])
    mode = SelectField(_l("Mode"), choices=LOT_MODES.choices)
    rights = SelectField(_l("Rights on offer"), choices=LOT_RIGHTS.choices)
    start_price = MoneyInput(_l("Start price (yuan)"))
    reserve_price = MoneyInput(_l("Reserve price (yuan, secret; empty = no reserve)"))
    increment = MoneyInput(_l("Increment (yuan)"))
    deposit = MoneyInput(_l("Deposit (yuan)"))
    qualifications = TextAreaField(
        _l("Buyer qualifications"), validators=[Optional(), Length(max=4000)]
    )
    extension_minutes = IntegerField(
        _l("Extension (minutes)"), default=5, validators=[NumberRange(min=1, max=60)]
    )
    registration_opens_at = DateTimeLocalField(
        _l("Registration opens (Beijing time)"), validators=[Optional()]
    )
    bidding_starts_at = DateTimeLocalField(
        _l("Bidding starts (Beijing time)"), validators=[Optional()]
    )
    bidding_ends_at = DateTimeLocalField(_l("Bidding ends (Beijing time)"), validators=[Optional()])
    broker_id = SelectField(_l("Organising broker"), coerce=int, validators=[Optional()])

    def __init__(
        self,
        *args: object,
        achievement_choices: list[tuple[int, str]],
        broker_choices: list[tuple[int, str]],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.achievement_id.choices = achievement_choices
        self.broker_id.choices = [(0, "—"), *broker_choices]


class ReviewForm(FlaskForm):
    decision = SelectField(
        _l("Decision"), choices=[("approve", _l("Approve and announce")), ("reject", _l("Reject"))]
    )
    reason = TextAreaField(_l("Reason (when rejecting)"), validators=[Optional(), Length(max=4000)])


class RegisterForm(FlaskForm):
    documents = TextAreaField(
        _l("Documents (business licence, qualifications…)"),
        validators=[Optional(), Length(max=4000)],
    )


class ApproveForm(FlaskForm):
    deposit_receipt = StringField(
        _l("Deposit receipt reference"), validators=[DataRequired(), Length(max=100)]
    )
    deposit_amount = MoneyInput(_l("Deposit received (yuan)"))


class BidForm(FlaskForm):
    amount = MoneyInput(_l("Your bid (yuan)"))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=4000)])
