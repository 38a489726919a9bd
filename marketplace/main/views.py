"""Home page, language switch and health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session
from flask.typing import ResponseReturnValue

from marketplace.extensions import db
from marketplace.listings.queries import latest_published, published_counts

bp = Blueprint("main", __name__)


@bp.route("/")
def index() -> ResponseReturnValue:
    return render_template(
        "main/index.html",
        counts=published_counts(),
        latest_achievements=latest_published("achievement", 6),
        latest_demands=latest_published("demand", 6),
    )


@bp.route("/lang/<code>", methods=["POST", "GET"])
def switch_language(code: str) -> ResponseReturnValue:
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
    target = request.referrer or "/"
    # Only go back to a page of this site.
    if not target.startswith(request.host_url):
        target = "/"
    return redirect(target)


@bp.route("/healthz")
def health() -> ResponseReturnValue:
    db.session.execute(sa.text("SELECT 1"))
    return jsonify({"status": "ok"})
