"""Web forms of the expert library and of evaluations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from marketplace.experts.evaluations import MAX_COMMENT, MAX_REASON
from marketplace.experts.services import MAX_TEXT
from marketplace.experts.vocab import (
    DIMENSIONS,
    EVALUATION_PURPOSES,
    EXPERT_STATUSES,
    EXPERT_TIERS,
    EXPERT_TITLES,
)
from marketplace.formtools import OnceFormMixin
from marketplace.listings.forms import MultiCheckboxField
from marketplace.vocab import FIELDS


class ExpertForm(OnceFormMixin, FlaskForm):
    email = StringField(_l("User's e-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    title = SelectField(_l("Professional title"), choices=EXPERT_TITLES.choices)
    tier = SelectField(_l("Tier"), choices=EXPERT_TIERS.choices)
    fields = MultiCheckboxField(
        _l("Technology fields"), choices=FIELDS.choices, validate_choice=False
    )
    speciality = StringField(_l("Speciality"), validators=[Optional(), Length(max=MAX_TEXT)])
    submit = SubmitField(_l("Save"))


class TieForm(FlaskForm):
    org_name = StringField(
        _l("Organisation (exact name)"), validators=[DataRequired(), Length(max=200)]
    )
    relation = StringField(
        _l("Tie (post, consultancy, shares…)"), validators=[DataRequired(), Length(max=MAX_TEXT)]
    )
    started_on = DateField(_l("From"), validators=[DataRequired()])
    ended_on = DateField(_l("Until (empty: still)"), validators=[Optional()])
    submit = SubmitField(_l("Declare tie"))


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=EXPERT_STATUSES.choices)
    note = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Change status"))


class EvaluationForm(OnceFormMixin, FlaskForm):
    purpose = SelectField(_l("Purpose"), choices=EVALUATION_PURPOSES.choices)
    panel_size = IntegerField(
        _l("Experts on the panel"),
        default=3,
        validators=[DataRequired(), NumberRange(min=1, max=15)],
    )
    note = TextAreaField(
        _l("What the panel should know"), validators=[Optional(), Length(max=MAX_COMMENT)]
    )
    exclude_1 = SelectField(_l("Exclude an expert (optional)"), coerce=int, validate_choice=False)
    reason_1 = StringField(_l("Reason"), validators=[Optional(), Length(max=MAX_REASON)])
    exclude_2 = SelectField(_l("Exclude an expert (optional)"), coerce=int, validate_choice=False)
    reason_2 = StringField(_l("Reason"), validators=[Optional(), Length(max=MAX_REASON)])
    exclude_3 = SelectField(_l("Exclude an expert (optional)"), coerce=int, validate_choice=False)
    reason_3 = StringField(_l("Reason"), validators=[Optional(), Length(max=MAX_REASON)])
    submit = SubmitField(_l("Request the evaluation"))


class PanelForm(FlaskForm):
    expert_ids = MultiCheckboxField(_l("Experts"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Seat on the panel"))


def _score_field() -> IntegerField:
    return IntegerField(
        validators=[
            InputRequired(message=_l("A score from 0 to 100.")),
            NumberRange(min=0, max=100),
        ]
    )


class ReviewForm(FlaskForm):
    maturity = _score_field()
    innovation = _score_field()
    advancement = _score_field()
    economic_value = _score_field()
    potential = _score_field()
    comment = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=MAX_COMMENT)])
    submit = SubmitField(_l("Submit my review"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for term in DIMENSIONS:
            getattr(self, term.code).label.text = str(term.label)


class RateForm(FlaskForm):
    rating = IntegerField(
        _l("Rating of this review (0–100)"),
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    submit = SubmitField(_l("Rate"))
