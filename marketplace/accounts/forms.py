"""Web forms for signing in, registration, profile and administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import EqualTo, Length, Optional

from marketplace.formtools import OnceFormMixin, required
from marketplace.vocab import ORG_KINDS, ROLES, region_choices


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[required(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[required(), Length(max=512)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class RegistrationForm(FlaskForm):
    role = RadioField(
        _l("I am"),
        choices=[
            ("researcher", _l("a researcher (university or institute)")),
            ("enterprise", _l("an enterprise user")),
        ],
        default="researcher",
        validators=[required()],
    )
    name = StringField(_l("Your name"), validators=[required(), Length(max=100)])
    email = EmailField(_l("E-mail"), validators=[required(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[required(), Length(min=8, max=512)])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[required(), EqualTo("password", _l("The passwords differ."))],
    )
    org_mode = RadioField(
        _l("Organisation"),
        choices=[
            ("new", _l("Register a new organisation")),
            ("join", _l("Join an existing organisation")),
        ],
        default="new",
        validators=[required()],
    )
    org_id = SelectField(
        _l("Existing organisation"), coerce=int, validators=[Optional()], validate_choice=False
    )
    org_name = StringField(_l("Organisation name"), validators=[Optional(), Length(max=200)])
    org_kind = SelectField(
        _l("Organisation type"),
        validators=[Optional()],
        choices=[
            ("university", _l("University")),
            ("institute", _l("Research institute")),
            ("enterprise", _l("Enterprise")),
        ],
    )
    region = SelectField(_l("Region"), validators=[Optional()], validate_choice=False)
    credit_code = StringField(
        _l("Unified social credit code (optional)"), validators=[Optional(), Length(max=30)]
    )
    submit = SubmitField(_l("Create account"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.region.choices = [("", "—"), *region_choices()]


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[required(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    locale = SelectField(_l("Language"), choices=[("zh_CN", "中文"), ("en", "English")])
    submit = SubmitField(_l("Save profile"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[required()])
    new_password = PasswordField(
        _l("New password"), validators=[required(), Length(min=8, max=512)]
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[required(), EqualTo("new_password", _l("The passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[required(), Length(max=100)])
    submit = SubmitField(_l("Create token"))


class ConfirmForm(FlaskForm):
    """A form with only a CSRF token, for one-button actions."""

    submit = SubmitField(_l("Confirm"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLES.choices)
    submit = SubmitField(_l("Change role"))


class AdminUserForm(OnceFormMixin, FlaskForm):
    email = EmailField(_l("E-mail"), validators=[required(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=100)])
    password = PasswordField(
        _l("Initial password"), validators=[required(), Length(min=8, max=512)]
    )
    role = SelectField(_l("Role"), choices=ROLES.choices)
    org_name = StringField(_l("Organisation name"), validators=[required(), Length(max=200)])
    org_kind = SelectField(_l("Organisation type"), choices=ORG_KINDS.choices)
    region = SelectField(_l("Region"), validators=[Optional()], validate_choice=False)
    submit = SubmitField(_l("Create user"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.region.choices = [("", "—"), *region_choices()]
        self.role.choices = ROLES.choices()
        self.org_kind.choices = ORG_KINDS.choices()
