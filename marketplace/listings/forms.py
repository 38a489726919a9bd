"""Web forms for listings, reviews, challenge applications, attachments and imports.

Amounts, dates and codes are plain text fields: the listing service cleans them (strictly, with
per-field messages), so the form, the API and imports accept exactly the same values.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.formtools import OnceFormMixin
from marketplace.listings.models import APPLICATION_REASONS
from marketplace.listings.validation import ListingInput
from marketplace.vocab import (
    FIELDS,
    IP_TYPES,
    MATURITY_LEVELS,
    MODES,
    maturity_label,
    region_choices,
)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ListingForm(OnceFormMixin, FlaskForm):
    title = StringField(_l("Title"))
    body = TextAreaField(_l("Summary"), render_kw={"rows": 8})
    keywords = StringField(
        _l("Keywords"),
        description=_l(
            "Separate with commas. Leave empty to have them extracted from the text; you can edit "
            "them afterwards."
        ),
    )
    field = SelectField(_l("Technology field"), validate_choice=False)
    modes = MultiCheckboxField(_l("Transaction modes"), validate_choice=False)
    region = SelectField(_l("Region"), validate_choice=False)
    contact_name = StringField(_l("Contact person"))
    contact_phone = StringField(_l("Contact phone"))
    contact_email = StringField(_l("Contact e-mail"))
    save = SubmitField(_l("Save draft"))
    save_submit = SubmitField(_l("Save and submit for review"))

    kind = "achievement"
    kind_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.field.choices = [("", _l("— unclassified —")), *FIELDS.choices()]
        self.modes.choices = MODES.choices()
        self.region.choices = [("", "—"), *region_choices()]

    def to_input(self) -> ListingInput:
        names = (
            "title",
            "body",
            "keywords",
            "field",
            "modes",
            "region",
            "contact_name",
            "contact_phone",
            "contact_email",
            *self.kind_fields,
        )
        return ListingInput(**{name: getattr(self, name).data for name in names})

    def fill(self, listing: Any) -> None:
        """Show a listing's present values (lists as comma-separated text)."""
        for name in (
            "title",
            "body",
            "field",
            "region",
            "contact_name",
            "contact_phone",
            "contact_email",
            *self.kind_fields,
        ):
            value = getattr(listing, name)
            field = getattr(self, name)
            if isinstance(field, BooleanField):
                field.data = bool(value)
            else:
                field.data = (
                    ""
                    if value is None
                    else (value.isoformat() if hasattr(value, "isoformat") else str(value))
                )
        self.keywords.data = ", ".join(listing.keywords or [])
        self.modes.data = list(listing.modes or [])
        if "patent_numbers" in self.kind_fields:
            self.patent_numbers.data = ", ".join(listing.patent_numbers or [])


class AchievementForm(ListingForm):
    maturity = SelectField(_l("Maturity"), validate_choice=False)
    ip_type = SelectField(_l("Intellectual property"), validate_choice=False)
    patent_numbers = StringField(
        _l("Patent numbers"), description=_l("For example ZL201720001285.X; separate with commas.")
    )
    price = StringField(
        _l("Asking price (yuan)"),
        description=_l("Leave empty for a negotiable price (面议)."),
        render_kw={"inputmode": "decimal"},
    )

    kind = "achievement"
    kind_fields = ("maturity", "ip_type", "patent_numbers", "price")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.maturity.choices = [("", _l("— unclassified —"))] + [
            (str(level), maturity_label(level)) for level in MATURITY_LEVELS
        ]
        self.ip_type.choices = [("", "—"), *IP_TYPES.choices()]


class DemandForm(ListingForm):
    budget_min = StringField(_l("Budget from (yuan)"), render_kw={"inputmode": "decimal"})
    budget_max = StringField(
        _l("Budget up to (yuan)"),
        render_kw={"inputmode": "decimal"},
        description=_l("Leave both empty for a negotiable budget (面议)."),
    )
    deadline = StringField(_l("Deadline"), render_kw={"type": "date"})
    is_challenge = BooleanField(_l("This demand is a challenge (揭榜挂帅) open to applications"))
    bounty = StringField(_l("Bounty (yuan)"), render_kw={"inputmode": "decimal"})
    applications_open_on = StringField(_l("Applications open on"), render_kw={"type": "date"})
    applications_close_on = StringField(_l("Applications close on"), render_kw={"type": "date"})

    kind = "demand"
    kind_fields = (
        "budget_min",
        "budget_max",
        "deadline",
        "is_challenge",
        "bounty",
        "applications_open_on",
        "applications_close_on",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.body.label.text = str(_l("Description"))
        self.modes.label.text = str(_l("Cooperation modes"))


FORMS = {"achievement": AchievementForm, "demand": DemandForm}


class ReviewForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[("approve", _l("Approve and publish")), ("reject", _l("Reject"))],
        validate_choice=False,
    )
    reason = TextAreaField(
        _l("Reason (shown to the owner; required to reject)"), render_kw={"rows": 2}
    )
    submit = SubmitField(_l("Record decision"))


class NoteForm(FlaskForm):
    note = StringField(_l("Note"), validators=[Optional()])
    submit = SubmitField(_l("Confirm"))


class AttachmentForm(FlaskForm):
    file = FileField(_l("PDF or image"))
    submit = SubmitField(_l("Upload"))


class ApplicationForm(FlaskForm):
    summary = TextAreaField(_l("Proposal summary"), render_kw={"rows": 4})
    team = TextAreaField(_l("Team and track record"), render_kw={"rows": 3})
    plan = TextAreaField(_l("Plan and milestones"), render_kw={"rows": 5})
    requested_amount = StringField(
        _l("Amount requested (yuan)"), render_kw={"inputmode": "decimal"}
    )
    attachment = FileField(_l("Attachment (PDF or image, optional)"))
    submit = SubmitField(_l("Submit application"))


class DecisionForm(FlaskForm):
    decision = SelectField(
        _l("Decision"),
        choices=[
            ("shortlist", _l("Shortlist")),
            ("accept", _l("Accept")),
            ("decline", _l("Decline")),
        ],
        validate_choice=False,
    )
    reason_code = SelectField(_l("Reason"), validate_choice=False)
    note = StringField(_l("Note to the applicant"))
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reason_code.choices = APPLICATION_REASONS.choices()


class ImportForm(FlaskForm):
    kind = SelectField(
        _l("Listings"),
        choices=[("achievement", _l("Achievements")), ("demand", _l("Demands"))],
        validate_choice=False,
    )
    org_id = SelectField(_l("Owner organisation"), validate_choice=False)
    file = FileField(_l("File (JSONL, CSV or XLSX)"))
    mode = RadioField(
        _l("After import"),
        default="draft",
        validate_choice=False,
        choices=[
            ("draft", _l("Keep new listings as drafts")),
            ("submit", _l("Submit new listings for review")),
            ("publish", _l("Publish at once (administrators)")),
        ],
    )
    skip_invalid = BooleanField(_l("Import the good rows even if some rows are bad"))
    dry_run = BooleanField(_l("Only check the file; import nothing"))
    submit = SubmitField(_l("Start import"))
