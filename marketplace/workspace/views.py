"""The workspace page (我的工作台)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from marketplace.workspace.queries import NEW_DAYS, workspace_for

bp = Blueprint("workspace", __name__)


@bp.route("/workspace")
@login_required
def home() -> ResponseReturnValue:
    return render_template(
        "workspace/home.html", space=workspace_for(current_user), new_days=NEW_DAYS
    )
