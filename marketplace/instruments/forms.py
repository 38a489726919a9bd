"""Web forms for instruments: the instrument, a booking request, decisions, usage, import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.contracts.forms import MoneyInput
from marketplace.formtools import OnceFormMixin
from marketplace.instruments.vocab import FEE_UNITS, INSTRUMENT_CATEGORIES, INSTRUMENT_STATUSES


class InstrumentForm(OnceFormMixin, FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    model_no = StringField(_l("Model"), validators=[Optional(), Length(max=120)])
    category = SelectField(_l("Category"), choices=[])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])
    specification = TextAreaField(_l("Specification"), validators=[Optional(), Length(max=4000)])
    fee = MoneyInput(_l("Fee (yuan)"))
    fee_unit = SelectField(_l("Charged"), choices=[])
    open_hours = StringField(_l("Open hours"), validators=[Optional(), Length(max=200)])
    status = SelectField(_l("Status"), choices=[])
    ref = StringField(_l("Inventory number"), validators=[Optional(), Length(max=60)])
    org_id = SelectField(_l("Owner organisation"), coerce=int, choices=[], validate_choice=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = INSTRUMENT_CATEGORIES.choices()
        self.fee_unit.choices = FEE_UNITS.choices()
        self.status.choices = INSTRUMENT_STATUSES.choices()


class BookingForm(OnceFormMixin, FlaskForm):
    starts_at = DateTimeLocalField(_l("From"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Until"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    purpose = TextAreaField(_l("Purpose"), validators=[DataRequired(), Length(max=4000)])
    samples = IntegerField(
        _l("Samples"), default=0, validators=[Optional(), NumberRange(min=0, max=100000)]
    )
    voucher_id = SelectField(
        _l("Pay part with an innovation voucher"), coerce=int, choices=[], validate_choice=False
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class UsageForm(FlaskForm):
    used_minutes = IntegerField(
        _l("Minutes used"), validators=[Optional(), NumberRange(min=0, max=20160)]
    )
    used_samples = IntegerField(
        _l("Samples tested"), validators=[Optional(), NumberRange(min=0, max=100000)]
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])


class ImportForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"))


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo (PNG, JPEG, GIF or WebP)"))
