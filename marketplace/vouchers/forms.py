"""Web forms for vouchers: schemes, providers, ties, and each step of the life cycle."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.contracts.forms import MoneyInput
from marketplace.formtools import OnceFormMixin
from marketplace.vocab import ORG_KINDS
from marketplace.vouchers.vocab import (
    ORG_KIND_CODES,
    PAYEE_MODES,
    REFUSAL_CODES,
    REVIEW_REJECT_CODES,
    SERVICE_TYPES,
)


class SchemeForm(OnceFormMixin, FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    year = IntegerField(_l("Year"), validators=[DataRequired()])
    budget = MoneyInput(_l("Budget (yuan)"))
    eligible_kinds = SelectMultipleField(_l("Who may apply"), choices=[])
    eligible_regions = StringField(
        _l("Regions (codes, comma-separated; empty = all)"),
        validators=[Optional(), Length(max=500)],
    )
    services = SelectMultipleField(_l("Services vouchers pay for"), choices=[])
    ratio_percent = IntegerField(
        _l("Share of the cost paid (%)"), validators=[DataRequired(), NumberRange(min=1, max=100)]
    )
    cap_per_application = MoneyInput(_l("Cap per application (yuan)"))
    cap_per_enterprise_year = MoneyInput(_l("Cap per enterprise and year (yuan)"))
    full_offset_below = MoneyInput(_l("Paid in full below (yuan, optional)"))
    payee_mode = SelectField(_l("Who is paid"), choices=[])
    opens_on = DateField(_l("Opens on"), validators=[DataRequired()])
    use_by = DateField(_l("Use by"), validators=[DataRequired()])
    redeem_by = DateField(_l("Redeem by"), validators=[DataRequired()])
    publication_days = IntegerField(
        _l("Publication period (days)"),
        default=5,
        validators=[Optional(), NumberRange(min=0, max=60)],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.eligible_kinds.choices = [(code, ORG_KINDS.label(code)) for code in ORG_KIND_CODES]
        self.services.choices = SERVICE_TYPES.choices()
        self.payee_mode.choices = PAYEE_MODES.choices()


class ProviderForm(FlaskForm):
    org_id = SelectField(_l("Organisation"), coerce=int, choices=[], validate_choice=False)
    services = SelectMultipleField(_l("Services"), choices=[])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.services.choices = SERVICE_TYPES.choices()


class TieForm(FlaskForm):
    org_a = SelectField(_l("Organisation"), coerce=int, choices=[], validate_choice=False)
    org_b = SelectField(_l("Related organisation"), coerce=int, choices=[], validate_choice=False)
    note = StringField(_l("Nature of the tie"), validators=[Optional(), Length(max=2000)])


class ApplyForm(OnceFormMixin, FlaskForm):
    scheme_id = SelectField(_l("Scheme"), coerce=int, choices=[], validate_choice=False)
    service_type = SelectField(_l("Service"), choices=[])
    requested_amount = MoneyInput(_l("Amount (yuan)"))
    purpose = TextAreaField(
        _l("What the voucher is for"), validators=[DataRequired(), Length(max=4000)]
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.service_type.choices = SERVICE_TYPES.choices()


class ApproveForm(FlaskForm):
    amount = MoneyInput(_l("Approved amount (yuan; empty = as applied)"))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])


class RefuseForm(FlaskForm):
    reason_code = SelectField(_l("Reason"), choices=[])
    note = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=4000)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reason_code.choices = REFUSAL_CODES.choices()


class UseForm(FlaskForm):
    provider_org_id = SelectField(_l("Provider"), coerce=int, choices=[], validate_choice=False)
    amount = MoneyInput(_l("Voucher amount to use (yuan)"))
    note = TextAreaField(_l("Order"), validators=[Optional(), Length(max=4000)])


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])


class RedeemForm(FlaskForm):
    contract_id = IntegerField(
        _l("Registered contract number (id)"),
        validators=[Optional(), NumberRange(min=1, max=2**31 - 1)],
    )
    booking_id = SelectField(
        _l("Instrument booking"), coerce=int, choices=[], validate_choice=False
    )
    amount = MoneyInput(_l("Amount to redeem (yuan; empty = the most allowed)"))
    contract = FileField(_l("Contract"))
    invoice = FileField(_l("Invoice"))
    payment = FileField(_l("Proof of payment"))
    result = FileField(_l("Result or report"))


class ReviewForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=[])
    reason_code = SelectField(_l("Reason when rejecting"), choices=[], validate_choice=False)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.decision.choices = [
            ("approve", str(_l("Approve and publish (公示)"))),
            ("reject", str(_l("Send back"))),
        ]
        self.reason_code.choices = [("", "—"), *REVIEW_REJECT_CODES.choices()]
