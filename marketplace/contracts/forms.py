"""Web forms for contracts: the contract with its line items, and reasons for reject/void."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext_lazy
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from marketplace.contracts.vocab import PLAN_CATEGORIES, REJECT_REASONS
from marketplace.formtools import OnceFormMixin, required
from marketplace.money import MoneyError, parse_money
from marketplace.vocab import CONTRACT_SUBTYPES, CONTRACT_TYPES, FIELDS

LINE_ITEM_ROWS = 6


class MoneyInput(StringField):
    """A text input parsed with the strict money parser; ``amount`` holds the Decimal."""

    amount: Decimal | None = None

    def pre_validate(self, form: Any) -> None:
        try:
            self.amount = parse_money(self.data)
        except MoneyError as error:
            self.amount = None
            raise ValidationError(str(error)) from error


class LineItemForm(Form):
    # A plain Form: the CSRF token belongs to the contract form around it.
    description = StringField(_l("Item"), validators=[Optional(), Length(max=200)])
    amount = MoneyInput(_l("Amount (yuan)"))
    non_technical = BooleanField(_l("Non-technical (equipment, materials…)"))

    def is_empty(self) -> bool:
        return not (self.description.data or "").strip() and not (self.amount.data or "").strip()


def _subtype_choices() -> dict[str, list[tuple[str, str]]]:
    groups: dict[str, list[tuple[str, str]]] = {"": [("", "—")]}
    for term in CONTRACT_TYPES:
        if len(CONTRACT_SUBTYPES[term.code]):
            groups[str(term.label)] = CONTRACT_SUBTYPES[term.code].choices()
    return groups


class ContractForm(OnceFormMixin, FlaskForm):
    deal_id = HiddenField()
    title = StringField(_l("Contract title"), validators=[required(), Length(max=200)])
    type = SelectField(_l("Contract type"), validate_choice=False)
    subtype = SelectField(
        _l("Subtype"),
        validate_choice=False,
        description=_l("Technology consulting has no subtype."),
    )
    seller_org_id = SelectField(_l("Seller (技术输出方)"), coerce=int, validate_choice=False)
    buyer_org_id = SelectField(_l("Buyer (技术吸纳方)"), coerce=int, validate_choice=False)
    broker_id = SelectField(_l("Broker"), coerce=int, validate_choice=False)
    field = SelectField(_l("Technology field"), validate_choice=False)
    plan_category = SelectField(_l("Plan category (optional)"), validate_choice=False)
    signed_on = DateField(_l("Signed on"), validators=[DataRequired(_l("Enter a date."))])
    term_end = DateField(_l("Term ends (optional)"), validators=[Optional()])
    contract_amount = MoneyInput(_l("Contract amount (yuan)"))
    tech_amount = MoneyInput(
        _l("Technology transaction amount (yuan)"),
        description=_l("Leave empty when line items are given: it is computed from them."),
    )
    line_items = FieldList(FormField(LineItemForm), min_entries=LINE_ITEM_ROWS, max_entries=50)
    submit = SubmitField(_l("Save contract"))

    def __init__(
        self,
        *args: Any,
        org_choices: list[tuple[int, str]] | None = None,
        broker_choices: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.type.choices = [("", "—"), *CONTRACT_TYPES.choices()]
        self.subtype.choices = _subtype_choices()
        orgs = [(0, "—"), *(org_choices or [])]
        self.seller_org_id.choices = orgs
        self.buyer_org_id.choices = orgs
        self.broker_id.choices = [(0, "—"), *(broker_choices or [])]
        self.field.choices = [("", "—"), *FIELDS.choices()]
        self.plan_category.choices = [("", "—"), *PLAN_CATEGORIES.choices()]
        while len(self.line_items) < LINE_ITEM_ROWS:
            self.line_items.append_entry()


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[required(), Length(max=2000)])
    submit = SubmitField(_l("Confirm"))


class SignedCopyForm(FlaskForm):
    file = FileField(_l("Signed contract (PDF)"))
    submit = SubmitField(_l("Upload"))


class RegisterForm(FlaskForm):
    """核定 and registration: the verified technology amount, why it differs, the VAT flag."""

    verified_tech_amount = MoneyInput(
        _l("Verified technology transaction amount (yuan)"),
        description=_l("Confirm the amount entered or adjust it; statistics count this one."),
    )
    reason = TextAreaField(_l("Reason for the adjustment"), validators=[Length(max=2000)])
    tax_exempt = BooleanField(_l("Qualifies for the VAT exemption of technical income"))
    submit = SubmitField(pgettext_lazy("contract", "Register"))


class RejectForm(FlaskForm):
    code = SelectField(_l("Refusal reason"), validate_choice=False)
    reason = TextAreaField(_l("Note to the broker"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Reject"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.code.choices = REJECT_REASONS.choices()
