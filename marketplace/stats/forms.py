"""Forms of the statistics pages (values are validated by the services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional


class TargetForm(FlaskForm):
    year = StringField(_l("Year"))
    region = SelectField(_l("Region"), choices=[], validate_choice=False)
    contract_amount = StringField(
        _l("Target contract amount (yuan)"),
        description=_l("技术合同成交额 registered in the region (输出), e.g. 500000000."),
    )
    contract_count = StringField(
        _l("Target number of contracts (optional)"), validators=[Optional()]
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Save target"))
