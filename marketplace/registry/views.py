"""Registration-office pages: public certificate check, certificate PDF, the registrar's
worklist and export, period reports, the contracts behind a figure, VAT report, bulletins."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from marketplace import vocab
from marketplace.accounts.forms import ConfirmForm
from marketplace.downloads import PDF, XLSX, file_response
from marketplace.errors import DomainError, NotFound, ValidationError
from marketplace.extensions import db, limiter
from marketplace.pagination import page_arg, paginate
from marketplace.registry import bulletin as bulletins
from marketplace.registry import services
from marketplace.registry.certificate import certificate_pdf
from marketplace.registry.exports import contracts_workbook, registrations_between
from marketplace.registry.queries import drill_totals
from marketplace.registry.reports import PERIODS
from marketplace.registry.verification import verify_certificate
from marketplace.workdays import LOCAL_TZ

bp = Blueprint("registry", __name__)
PER_PAGE = 50
EXPORT_LIMIT = 100_000
# Breakdown tables of the dashboard and the drill-down filter each of their rows sets.
DRILL_TABLES = {
    "by_type": "type",
    "by_field": "field",
    "by_seller_kind": "seller_kind",
    "by_buyer_kind": "buyer_kind",
}


def _today() -> date:
    return datetime.now(LOCAL_TZ).date()


def drill_url(table: str, code: str | None = None, **extra: Any) -> str | None:
    """Link from a dashboard figure to the contracts behind it (template global)."""
    args: dict[str, Any] = {"year": request.args.get("year") or _today().year}
    if request.args.get("region"):
        args["region"] = request.args["region"]
    if table in DRILL_TABLES:
        args[DRILL_TABLES[table]] = code or "-"
    elif table != "all":
        return None
    args.update({key: value for key, value in extra.items() if value})
    return url_for("registry.contracts", **args)


# A global, not context: the dashboard's imported macros see globals only.
bp.add_app_template_global(drill_url, "drill_url")


# -- public -----------------------------------------------------------------------------------


@bp.route("/registrations/verify")
@limiter.limit(
    lambda: current_app.config["VERIFY_LIMIT_PER_ADDRESS"],
    key_func=get_remote_address,
    scope="verify-certificate",
)
def verify() -> ResponseReturnValue:
    number = (request.args.get("no") or "").strip()[:40]
    code = (request.args.get("code") or "").strip()[:40]
    result, error, fields, status = None, None, {}, 200
    if number or code:
        try:
            result = verify_certificate(number, code)
        except ValidationError as exc:
            fields, status = exc.fields, 422
        except NotFound as exc:
            error, status = exc.message, 404
    return render_template(
        "registry/verify.html", number=number, code=code, result=result, error=error, fields=fields
    ), status


@bp.route("/contracts/<int:contract_id>/certificate.pdf")
@login_required
def certificate(contract_id: int) -> ResponseReturnValue:
    contract, data = certificate_pdf(current_user, contract_id)
    return file_response(
        data,
        PDF,
        f"登记证明-{contract.registration_no}.pdf",
        ascii_name=f"certificate-{contract.registration_no}.pdf",
        inline=True,
    )


# -- the registrar ----------------------------------------------------------------------------


@bp.route("/admin/registry")
@login_required
def worklist() -> ResponseReturnValue:
    items = services.get_worklist(current_user)
    today = _today()
    start = today.replace(day=1)
    return render_template(
        "registry/worklist.html",
        items=items,
        target=current_app.config["REGISTRATION_TARGET_WORKING_DAYS"],
        start=request.args.get("start") or start.isoformat(),
        end=request.args.get("end") or today.isoformat(),
    )


@bp.route("/admin/registry/export.xlsx")
@login_required
def export_registrations() -> ResponseReturnValue:
    start, end = services.parse_dates(request.args.get("start"), request.args.get("end"))
    contracts = registrations_between(current_user, start, end)
    data = contracts_workbook(contracts, _("Registrations"))
    name = f"registrations-{start.isoformat()}-{end.isoformat()}.xlsx"
    return file_response(data, XLSX, name, ascii_name=name)


@bp.route("/admin/stats/reports")
@login_required
def reports() -> ResponseReturnValue:
    report = services.get_report(current_user, request.args, _today())
    return render_template(
        "registry/reports.html",
        report=report,
        periods=PERIODS,
        region_choices=vocab.region_choices(),
    )


@bp.route("/admin/stats/contracts")
@login_required
def contracts() -> ResponseReturnValue:
    flt, query = services.drill(current_user, request.args)
    if request.args.get("format") == "xlsx":
        found = db.session.execute(query.limit(EXPORT_LIMIT)).scalars()
        name = f"contracts-{flt.year}.xlsx"
        return file_response(contracts_workbook(found, _("Contracts")), XLSX, name, ascii_name=name)
    page = page_arg()
    shown = paginate(query, page, PER_PAGE)
    rows, total = shown.items, shown.total
    return render_template(
        "registry/contracts.html",
        flt=flt,
        rows=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        sums=drill_totals(flt),
        args=flt.as_args(),
    )


@bp.route("/admin/stats/tax-exempt")
@login_required
def tax_exempt() -> ResponseReturnValue:
    year = request.args.get("year") or _today().year
    rows = services.tax_report(current_user, year, request.args.get("region"))
    return render_template("registry/tax_exempt.html", rows=rows, year=int(year))


@bp.route("/admin/stats/bulletins", methods=["GET", "POST"])
@login_required
def bulletin_list() -> ResponseReturnValue:
    form = ConfirmForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            return redirect(url_for("registry.bulletin_list"))
        try:
            year, month = (int(part) for part in (request.form.get("month") or "").split("-"))
        except ValueError:
            flash(_("Choose a month as YYYY-MM."), "danger")
            status = 422
        else:
            try:
                made = bulletins.produce_bulletin(year, month, actor=current_user)
            except DomainError as error:
                for message in (error.fields or {"_": error.message}).values():
                    flash(message, "danger")
                status = 422
            else:
                flash(
                    _("Bulletin %(year)s-%(month)02d produced.", year=made.year, month=made.month),
                    "success",
                )
                return redirect(url_for("registry.bulletin_list"))
    items = bulletins.list_bulletins(current_user)
    last_year, last_month = bulletins.previous_month(_today())
    return render_template(
        "registry/bulletins.html",
        items=items,
        form=form,
        default_month=f"{last_year}-{last_month:02d}",
    ), status


@bp.route("/admin/stats/bulletins/<int:bulletin_id>.<any(pdf, xlsx):kind>")
@login_required
def bulletin_file(bulletin_id: int, kind: str) -> ResponseReturnValue:
    item = bulletins.get_bulletin(current_user, bulletin_id)
    name = f"bulletin-{item.year}-{item.month:02d}.{kind}"
    if kind == "pdf":
        return file_response(item.pdf, PDF, name, ascii_name=name, inline=True)
    return file_response(item.xlsx, XLSX, name, ascii_name=name)
