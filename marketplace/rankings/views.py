"""Admin pages: the annual broker and agency rankings (十佳) and their XLSX export."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from marketplace.rankings import services
from marketplace.rankings.export import ranking_workbook
from marketplace.rankings.queries import SUBJECTS, TOP_N, WEIGHTS, ranking_years

bp = Blueprint("rankings", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/admin/rankings/<any(brokers, agencies):subject>")
@login_required
def ranking_page(subject: str) -> ResponseReturnValue:
    show_all = request.args.get("all") == "1"
    year, entries = services.ranking_for(
        current_user, subject, request.args.get("year"), None if show_all else TOP_N
    )
    years = sorted(set(ranking_years()) | {year}, reverse=True)
    return render_template(
        "rankings/ranking.html",
        subject=subject,
        subjects=SUBJECTS,
        year=year,
        years=years,
        entries=entries,
        weights=WEIGHTS,
        show_all=show_all,
        top_n=TOP_N,
    )


@bp.route("/admin/rankings/<any(brokers, agencies):subject>/export.xlsx")
@login_required
def export(subject: str) -> ResponseReturnValue:
    year, entries = services.ranking_for(current_user, subject, request.args.get("year"))
    name = f"ranking-{subject}-{year}.xlsx"
    return Response(
        ranking_workbook(services.subject_code(subject), year, entries),
        mimetype=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
