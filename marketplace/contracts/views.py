"""Contract pages: list, record/edit form with line items, detail with history, transitions."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.forms import ConfirmForm
from marketplace.accounts.permissions import require_role
from marketplace.accounts.queries import broker_choices, organisation_choices
from marketplace.contracts import queries, services
from marketplace.contracts.forms import (
    ContractForm,
    ReasonForm,
    RegisterForm,
    RejectForm,
    SignedCopyForm,
)
from marketplace.contracts.models import Contract
from marketplace.contracts.signed_copies import signed_copy_for, upload_signed_copy
from marketplace.contracts.vocab import PLAN_CATEGORIES, REJECT_REASONS
from marketplace.deals.models import Deal
from marketplace.deals.queries import get_deal_for
from marketplace.downloads import PDF, file_response
from marketplace.errors import DomainError, ValidationError
from marketplace.formtools import apply_errors, submit_once
from marketplace.listings.attachments import Upload
from marketplace.pagination import page_arg, paginate
from marketplace.vocab import CONTRACT_STATUSES

bp = Blueprint("contracts", __name__)
PER_PAGE = 20


@bp.app_context_processor
def contract_helpers() -> dict[str, Any]:
    """The contract permission predicates, for templates (never ``role == ...`` in a template)."""
    return {"contract_can": services}


@bp.route("/contracts")
@login_required
def index() -> ResponseReturnValue:
    status = request.args.get("status") or None
    if status not in CONTRACT_STATUSES:
        status = None
    year = request.args.get("year", type=int)
    if year is not None and not 1985 <= year <= 2200:
        year = None  # a hand-edited URL: show every year rather than fail
    q = (request.args.get("q") or "").strip()[:100] or None
    page = page_arg()
    found = paginate(
        queries.visible_contracts(current_user, status=status, year=year, q=q), page, PER_PAGE
    )
    contracts, total = found.items, found.total
    return render_template(
        "contracts/list.html",
        contracts=list(contracts),
        total=total,
        page=page,
        per_page=PER_PAGE,
        status=status,
        year=year,
        q=q or "",
    )


def _form(**kwargs: Any) -> ContractForm:
    return ContractForm(
        org_choices=organisation_choices(), broker_choices=broker_choices(), **kwargs
    )


def _form_data(form: ContractForm) -> services.ContractData:
    items = tuple(
        services.LineItemData(
            entry.form.description.data or "",
            entry.form.amount.amount,
            bool(entry.form.non_technical.data),
        )
        for entry in form.line_items
        if not entry.form.is_empty()
    )
    deal_id = form.deal_id.data
    return services.ContractData(
        title=form.title.data or "",
        type=form.type.data or "",
        subtype=form.subtype.data or None,
        seller_org_id=form.seller_org_id.data or None,
        buyer_org_id=form.buyer_org_id.data or None,
        broker_id=(form.broker_id.data or None) if current_user.role == "admin" else None,
        deal_id=int(deal_id) if deal_id and str(deal_id).isdigit() else None,
        field=form.field.data or None,
        plan_category=form.plan_category.data or None,
        signed_on=form.signed_on.data,
        term_end=form.term_end.data,
        contract_amount=form.contract_amount.amount,
        tech_amount=form.tech_amount.amount,
        line_items=items,
    )


def _line_item_aliases(form: ContractForm) -> dict[str, str]:
    """Map the service's ``line_items.N.field`` to the Nth non-empty row of the form."""
    aliases: dict[str, str] = {}
    filled = [entry for entry in form.line_items if not entry.form.is_empty()]
    for index, entry in enumerate(filled):
        for name in ("description", "amount"):
            aliases[f"line_items.{index}.{name}"] = f"{entry.name}-{name}"
    return aliases


def _apply_service_errors(form: ContractForm, error: DomainError) -> None:
    aliases = _line_item_aliases(form)
    fields: dict[str, str] = {}
    for name, message in error.fields.items():
        if name in aliases:
            row_name, _sep, column = aliases[name].rpartition("-")
            for entry in form.line_items:
                if entry.name == row_name:
                    getattr(entry.form, column).errors.append(message)
        else:
            fields[name] = message
    if fields or not error.fields:
        apply_errors(form, DomainError(error.message, fields=fields))


@bp.route("/contracts/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    require_role(current_user, "broker", "admin")
    form = _form()
    deal: Deal | None = None
    deal_id = request.args.get("deal", type=int)
    if request.method == "GET" and deal_id:
        deal = get_deal_for(current_user, deal_id)
        initial = services.prefilled_from_deal(services.ContractData(deal_id=deal.id), deal)
        form.deal_id.data = str(deal.id)
        form.title.data = initial.title
        form.seller_org_id.data = initial.seller_org_id
        form.buyer_org_id.data = initial.buyer_org_id or 0
        form.field.data = initial.field or ""
    if form.validate_on_submit():
        try:
            contract_id = submit_once(
                current_user.id,
                form,
                "contract",
                lambda: services.create_contract(current_user, _form_data(form)),
                saved=_(
                    "Contract saved as a draft. Submit it for registration when it is complete."
                ),
                repeated=_("This form had already been sent; here is the contract it recorded."),
            )
        except ValidationError as error:
            _apply_service_errors(form, error)
        else:
            return redirect(url_for("contracts.detail", contract_id=contract_id))
    status = 422 if request.method == "POST" else 200
    return render_template("contracts/form.html", form=form, contract=None, deal=deal), status


@bp.route("/contracts/<int:contract_id>")
@login_required
def detail(contract_id: int) -> ResponseReturnValue:
    contract = queries.get_contract_for(current_user, contract_id)
    history = (
        queries.history_for(current_user, contract.id)
        if queries.can_see_history(current_user, contract)
        else None
    )
    ids_orgs: set[int] = set()
    ids_users: set[int] = set()
    for row in history or []:
        if row.field in ("seller_org_id", "buyer_org_id"):
            ids_orgs.update(v for v in (row.before, row.after) if isinstance(v, int))
        if row.field == "broker_id":
            ids_users.update(v for v in (row.before, row.after) if isinstance(v, int))
    return render_template(
        "contracts/detail.html",
        contract=contract,
        history=history,
        can_change=queries.can_change(current_user, contract),
        org_names=queries.organisation_names(ids_orgs),
        user_names=queries.user_names(ids_users),
        confirm_form=ConfirmForm(),
        reason_form=ReasonForm(),
        signed_copy_form=SignedCopyForm(),
        reject_form=RejectForm(),
        register_form=_register_form(contract),
        can_upload_signed_copy=services.can_upload_signed_copy(current_user, contract),
        can_register=services.can_register(current_user, contract),
        plan_label=lambda code: PLAN_CATEGORIES.label(code, "—"),
        reject_label=lambda code: REJECT_REASONS.label(code, "—"),
    )


def _register_form(contract: Contract) -> RegisterForm:
    form = RegisterForm(formdata=None)
    form.verified_tech_amount.data = f"{contract.tech_amount:f}"
    form.tax_exempt.data = services.tax_exempt_eligible(contract)
    return form


@bp.route("/contracts/<int:contract_id>/signed-copy", methods=["GET", "POST"])
@login_required
def signed_copy(contract_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        copy = signed_copy_for(current_user, contract_id)
        return file_response(
            copy.data, PDF, copy.original_name, ascii_name=f"signed-{contract_id}.pdf", inline=True
        )
    form = SignedCopyForm()
    if not form.validate_on_submit():
        abort(400)
    stream = form.file.data
    try:
        if stream is None or not getattr(stream, "filename", None):
            raise ValidationError(fields={"file": _("Choose the signed contract (PDF).")})
        upload_signed_copy(
            current_user,
            contract_id,
            Upload.read(stream.filename, stream.stream, current_app.config["ATTACHMENT_MAX_BYTES"]),
        )
    except ValidationError as error:
        for message in (error.fields or {"_": error.message}).values():
            flash(message, "danger")
    else:
        flash(_("Signed copy on file."), "success")
    return redirect(url_for("contracts.detail", contract_id=contract_id))


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@login_required
def edit(contract_id: int) -> ResponseReturnValue:
    contract = queries.get_contract_for(current_user, contract_id)
    if not queries.can_change(current_user, contract):
        abort(403)
    if contract.status not in services.EDITABLE_STATUSES:
        if request.method == "POST":
            # Refuse through the service so the rule and its message live in one place.
            services.update_contract(current_user, contract.id, services.contract_data(contract))
        flash(_("A registered or submitted contract cannot be edited."), "warning")
        return redirect(url_for("contracts.detail", contract_id=contract.id))
    form = _form(obj=None)
    if request.method == "GET":
        _fill(form, contract)
    elif form.validate_on_submit():
        try:
            services.update_contract(current_user, contract.id, _form_data(form))
        except ValidationError as error:
            _apply_service_errors(form, error)
        else:
            flash(_("Contract saved."), "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    status = 422 if request.method == "POST" else 200
    return render_template("contracts/form.html", form=form, contract=contract, deal=None), status


def _fill(form: ContractForm, contract: Contract) -> None:
    form.deal_id.data = str(contract.deal_id or "")
    for name in ("title", "type", "field", "signed_on", "term_end"):
        getattr(form, name).data = getattr(contract, name)
    form.subtype.data = contract.subtype or ""
    form.plan_category.data = contract.plan_category or ""
    form.seller_org_id.data = contract.seller_org_id
    form.buyer_org_id.data = contract.buyer_org_id
    form.broker_id.data = contract.broker_id or 0
    form.contract_amount.data = f"{contract.contract_amount:f}"
    form.tech_amount.data = "" if contract.line_items else f"{contract.tech_amount:f}"
    for index, item in enumerate(contract.line_items):
        if index >= len(form.line_items):
            form.line_items.append_entry()
        row = form.line_items[index].form
        row.description.data = item.description
        row.amount.data = f"{item.amount:f}"
        row.non_technical.data = item.non_technical


def _transition(contract_id: int, action: str, **kwargs: Any) -> ResponseReturnValue:
    try:
        getattr(services, f"{action}_contract")(current_user, contract_id, **kwargs)
    except ValidationError as error:
        for message in (error.fields or {"_": error.message}).values():
            flash(message, "danger")
    else:
        messages = {
            "submit": _("Submitted for registration."),
            "register": _("Contract registered."),
            "reject": _("Contract sent back to the broker."),
            "void": _("Contract voided."),
        }
        flash(messages[action], "success")
    return redirect(url_for("contracts.detail", contract_id=contract_id))


@bp.route("/contracts/<int:contract_id>/submit", methods=["POST"])
@login_required
def submit(contract_id: int) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _transition(contract_id, "submit")


@bp.route("/contracts/<int:contract_id>/register", methods=["POST"])
@login_required
def register(contract_id: int) -> ResponseReturnValue:
    form = RegisterForm()
    if not form.validate_on_submit():
        if form.errors.get("csrf_token"):
            abort(400)
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "danger")
        return redirect(url_for("contracts.detail", contract_id=contract_id))
    verification = services.Verification(
        form.verified_tech_amount.amount, form.reason.data or "", bool(form.tax_exempt.data)
    )
    return _transition(contract_id, "register", verification=verification)


@bp.route("/contracts/<int:contract_id>/reject", methods=["POST"])
@login_required
def reject(contract_id: int) -> ResponseReturnValue:
    form = RejectForm()
    form.validate_on_submit()
    if form.errors.get("csrf_token"):
        abort(400)
    return _transition(
        contract_id, "reject", reason=form.reason.data or "", code=form.code.data or "other"
    )


@bp.route("/contracts/<int:contract_id>/void", methods=["POST"])
@login_required
def void(contract_id: int) -> ResponseReturnValue:
    form = ReasonForm()
    form.validate_on_submit()
    if form.errors.get("csrf_token"):
        abort(400)
    return _transition(contract_id, "void", reason=form.reason.data or "")
