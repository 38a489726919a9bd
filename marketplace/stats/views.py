"""Admin statistics pages: dashboard, XLSX export, targets, job runs; the chart library asset."""

from __future__ import annotations

from datetime import date
from importlib import resources
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_date, pgettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace import vocab
from marketplace.accounts.forms import ConfirmForm
from marketplace.accounts.permissions import require_role
from marketplace.auctions.kpis import add_kpi_sheets, lot_kpis
from marketplace.errors import ValidationError
from marketplace.formtools import apply_errors
from marketplace.money import stats_number, stats_unit
from marketplace.stats import services
from marketplace.stats.export import summary_workbook
from marketplace.stats.forms import TargetForm
from marketplace.stats.queries import Summary, available_years

bp = Blueprint("stats", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _chart_data(summary: Summary) -> dict[str, Any]:
    """What static/js/stats.js draws: amounts as numbers in the tables' unit (display only)."""

    def amounts(rows: list[Any]) -> list[float]:
        return [float(stats_number(row.totals.contract_amount)) for row in rows]

    def tech_amounts(rows: list[Any]) -> list[float]:
        return [float(stats_number(row.totals.tech_amount)) for row in rows]

    return {
        "unit": stats_unit(),
        "labels": {
            "contract": _("Contract amount"),
            "tech": _("Technology amount"),
            "count": pgettext("count", "Contracts"),
            "output": _("Output (seller here)"),
            "intake": _("Intake (buyer here)"),
        },
        "month": {
            "x": [row.label for row in summary.by_month],
            "amount": amounts(summary.by_month),
            "tech": tech_amounts(summary.by_month),
            "count": [row.totals.contracts for row in summary.by_month],
        },
        "type": {"x": [row.label for row in summary.by_type], "amount": amounts(summary.by_type)},
        "field": {
            "x": [row.label for row in summary.by_field],
            "amount": amounts(summary.by_field),
        },
        "seller_kind": {
            "x": [row.label for row in summary.by_seller_kind],
            "amount": amounts(summary.by_seller_kind),
        },
        "regions": _region_chart(summary),
    }


def _region_chart(summary: Summary) -> dict[str, Any]:
    output = {row.code: row for row in summary.by_seller_region}
    intake = {row.code: row for row in summary.by_buyer_region}
    codes = sorted(set(output) | set(intake), key=lambda code: code or "999999")
    labels = [(output.get(code) or intake[code]).label for code in codes]
    return {
        "x": labels,
        "output": [
            float(stats_number(output[c].totals.contract_amount)) if c in output else 0
            for c in codes
        ],
        "intake": [
            float(stats_number(intake[c].totals.contract_amount)) if c in intake else 0
            for c in codes
        ],
    }


@bp.route("/admin/stats")
@login_required
def dashboard() -> ResponseReturnValue:
    summary = services.get_summary(
        current_user, request.args.get("year"), request.args.get("region")
    )
    # "January–November": the months the year-on-year change compares.
    through = format_date(date(summary.year, summary.change.months, 1), "MMMM")
    return render_template(
        "stats/dashboard.html",
        summary=summary,
        chart=_chart_data(summary),
        years=available_years(),
        region_choices=vocab.region_choices(),
        through=through,
        auction_kpis=lot_kpis(current_user, summary.year),
    )


@bp.route("/admin/stats/export.xlsx")
@login_required
def export() -> ResponseReturnValue:
    summary = services.get_summary(
        current_user, request.args.get("year"), request.args.get("region")
    )
    name = f"statistics-{summary.year}-{summary.region or 'all'}.xlsx"
    kpis = lot_kpis(current_user, summary.year)
    book = summary_workbook(
        summary, extra_sheets=[lambda sheet_book: add_kpi_sheets(sheet_book, kpis)]
    )
    return Response(
        book,
        mimetype=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/admin/stats/targets", methods=["GET", "POST"])
@login_required
def targets() -> ResponseReturnValue:
    require_role(current_user, "admin")
    form = TargetForm()
    form.region.choices = [("", _("Whole platform")), *vocab.region_choices()]
    if request.method == "GET":
        form.year.data = str(request.args.get("year") or date.today().year)
        form.region.data = request.args.get("region", "")
    status = 200
    if form.validate_on_submit():
        try:
            target = services.set_target(
                current_user,
                services.TargetInput(
                    year=form.year.data,
                    region=form.region.data or None,
                    contract_amount=form.contract_amount.data,
                    contract_count=form.contract_count.data,
                    note=form.note.data or "",
                ),
            )
        except ValidationError as error:
            apply_errors(form, error)
            status = 422
        else:
            flash(_("Target saved."), "success")
            return redirect(
                url_for("stats.dashboard", year=target.year, region=target.region or None)
            )
    elif request.method == "POST":
        status = 422
    return render_template(
        "stats/targets.html",
        form=form,
        confirm_form=ConfirmForm(),
        targets=services.list_targets(current_user),
    ), status


@bp.route("/admin/stats/targets/<int:target_id>/delete", methods=["POST"])
@login_required
def delete_target(target_id: int) -> ResponseReturnValue:
    form = ConfirmForm()
    if form.validate_on_submit():
        services.delete_target(current_user, target_id)
        flash(_("Target deleted."), "info")
    return redirect(url_for("stats.targets"))


@bp.route("/admin/stats/jobs")
@login_required
def jobs() -> ResponseReturnValue:
    return render_template(
        "stats/jobs.html", runs=services.recent_runs(current_user), confirm_form=ConfirmForm()
    )


@bp.route("/admin/stats/jobs/recompute", methods=["POST"])
@login_required
def recompute() -> ResponseReturnValue:
    require_role(current_user, "admin")
    form = ConfirmForm()
    if form.validate_on_submit():
        job = services.request_recompute(current_user)
        if job.state == "failed":
            flash(_("The recompute could not be queued: %(error)s", error=job.error), "danger")
        else:
            flash(_("Full recompute queued (job %(id)s).", id=job.id), "success")
    return redirect(url_for("stats.jobs"))


@bp.route("/stats/assets/plotly.min.js")
def plotly_js() -> ResponseReturnValue:
    # Served from the installed plotly wheel (no third-party file is committed); SVG traces
    # only, which run under the strict CSP without 'unsafe-eval'.
    path = resources.files("plotly").joinpath("package_data/plotly.min.js")
    return send_file(str(path), mimetype="text/javascript", max_age=7 * 24 * 3600, conditional=True)
