"""The signed-in user's notifications page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from marketplace.accounts.forms import ConfirmForm
from marketplace.notifications import services
from marketplace.notifications.messages import render_message
from marketplace.pagination import page_arg

bp = Blueprint("notifications", __name__)


@bp.route("/notifications")
@login_required
def index() -> ResponseReturnValue:
    page = page_arg()
    items, total = services.list_notifications(current_user, page=page)
    return render_template(
        "notifications/index.html",
        items=items,
        total=total,
        page=page,
        per_page=20,
        render_message=render_message,
        confirm_form=ConfirmForm(),
    )


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_all_read() -> ResponseReturnValue:
    if ConfirmForm().validate_on_submit():
        services.mark_all_read(current_user)
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/<int:notification_id>")
@login_required
def open_notification(notification_id: int) -> ResponseReturnValue:
    note = services.mark_read(current_user, notification_id)
    target = (
        note.link
        if note.link and note.link.startswith("/") and not note.link.startswith("//")
        else url_for("notifications.index")
    )
    return redirect(target)
