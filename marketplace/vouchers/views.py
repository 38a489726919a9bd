"""Voucher pages: schemes, applying, the voucher with its history and next step, admin pages."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from marketplace import storage
from marketplace.accounts.forms import ConfirmForm
from marketplace.accounts.permissions import require_role, require_user
from marketplace.accounts.queries import organisation_choices
from marketplace.errors import DomainError, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.formtools import apply_errors, submit_once
from marketplace.instruments.models import Booking
from marketplace.listings.attachments import Upload
from marketplace.pagination import page_arg, paginate
from marketplace.vocab import ORG_KINDS
from marketplace.vouchers import permissions, queries, schemes, services
from marketplace.vouchers.documents import document_file
from marketplace.vouchers.forms import (
    ApplyForm,
    ApproveForm,
    NoteForm,
    ProviderForm,
    RedeemForm,
    RefuseForm,
    ReviewForm,
    SchemeForm,
    TieForm,
    UseForm,
)
from marketplace.vouchers.models import Voucher
from marketplace.vouchers.stats import voucher_stats
from marketplace.vouchers.vocab import (
    DOCUMENT_KINDS,
    PAYEE_MODES,
    PROVIDER_STATUSES,
    REFUSAL_CODES,
    REVIEW_REJECT_CODES,
    SCHEME_STATUSES,
    SERVICE_TYPES,
    VOUCHER_STATUSES,
)

bp = Blueprint("vouchers", __name__)
PER_PAGE = 20
MAX_DOCUMENT = 10 * 1024 * 1024


@bp.app_context_processor
def voucher_helpers() -> dict[str, Any]:
    """Labels and permission predicates for templates."""
    return {
        "voucher_vocab": {
            "services": SERVICE_TYPES,
            "payee_modes": PAYEE_MODES,
            "statuses": VOUCHER_STATUSES,
            "scheme_statuses": SCHEME_STATUSES,
            "provider_statuses": PROVIDER_STATUSES,
            "refusals": REFUSAL_CODES,
            "review_rejects": REVIEW_REJECT_CODES,
            "documents": DOCUMENT_KINDS,
            "org_kinds": ORG_KINDS,
        },
        "voucher_can": permissions,
        # The statistics dashboard includes vouchers/_dashboard.html, which asks for these.
        "voucher_figures": voucher_stats,
    }


# -- schemes (public list, admin configuration) --------------------------------------------


@bp.route("/vouchers/schemes")
def scheme_list() -> ResponseReturnValue:
    items = db.session.execute(queries.schemes_query(current_user).limit(100)).scalars().all()
    return render_template("vouchers/schemes.html", schemes=items, confirm_form=ConfirmForm())


def _scheme_data(form: SchemeForm) -> schemes.SchemeData:
    regions = tuple(
        code.strip()
        for code in (form.eligible_regions.data or "").replace("，", ",").split(",")
        if code.strip()
    )
    return schemes.SchemeData(
        name=form.name.data or "",
        year=form.year.data,
        budget=form.budget.amount,
        eligible_kinds=tuple(form.eligible_kinds.data or ()),
        eligible_regions=regions,
        services=tuple(form.services.data or ()),
        ratio_percent=form.ratio_percent.data,
        cap_per_application=form.cap_per_application.amount,
        cap_per_enterprise_year=form.cap_per_enterprise_year.amount,
        full_offset_below=form.full_offset_below.amount,
        payee_mode=form.payee_mode.data or "",
        opens_on=form.opens_on.data,
        use_by=form.use_by.data,
        redeem_by=form.redeem_by.data,
        publication_days=form.publication_days.data
        if form.publication_days.data is not None
        else 5,
    )


@bp.route("/admin/vouchers/schemes/new", methods=["GET", "POST"])
@login_required
def scheme_new() -> ResponseReturnValue:
    require_role(current_user, "admin")
    form = SchemeForm()
    if request.method == "GET":
        form.eligible_kinds.data = ["enterprise"]
        form.services.data = list(SERVICE_TYPES.codes)
        form.publication_days.data = 5
    if form.validate_on_submit():
        try:
            scheme_id = submit_once(
                current_user.id,
                form,
                "voucher_scheme",
                lambda: schemes.create_scheme(
                    current_user, _scheme_data(form), open_now=request.form.get("open") == "1"
                ),
                saved=_("Scheme saved."),
                repeated=_("This form had already been sent; here is the scheme it saved."),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect(url_for("vouchers.scheme_list", _anchor=f"scheme-{scheme_id}"))
    return render_template(
        "vouchers/scheme_form.html", form=form
    ), 422 if request.method == "POST" else 200


@bp.route("/admin/vouchers/schemes/<int:scheme_id>/<any(open, close):action>", methods=["POST"])
@login_required
def scheme_status(scheme_id: int, action: str) -> ResponseReturnValue:
    require_role(current_user, "admin")
    if not ConfirmForm().validate_on_submit():
        raise ValidationError(_("The form expired; try again."))
    if action == "open":
        schemes.open_scheme(current_user, scheme_id)
        flash(_("Scheme opened for applications."), "success")
    else:
        schemes.close_scheme(current_user, scheme_id)
        flash(_("Scheme closed to new applications."), "success")
    return redirect(url_for("vouchers.scheme_list"))


# -- providers and ties (admin) ------------------------------------------------------------


@bp.route("/admin/vouchers/providers", methods=["GET", "POST"])
@login_required
def providers() -> ResponseReturnValue:
    require_role(current_user, "admin")
    form, tie_form = ProviderForm(prefix="provider"), TieForm(prefix="tie")
    choices = organisation_choices()
    form.org_id.choices = choices
    tie_form.org_a.choices = tie_form.org_b.choices = choices
    status = 200
    if request.method == "POST":
        status = 422
        if "provider-org_id" in request.form and form.validate_on_submit():
            try:
                schemes.approve_provider(
                    current_user,
                    form.org_id.data,
                    tuple(form.services.data or ()),
                    form.note.data or "",
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                flash(_("Provider approved."), "success")
                return redirect(url_for("vouchers.providers"))
        elif "tie-org_a" in request.form and tie_form.validate_on_submit():
            try:
                schemes.declare_tie(
                    current_user, tie_form.org_a.data, tie_form.org_b.data, tie_form.note.data or ""
                )
            except ValidationError as error:
                apply_errors(tie_form, error)
            else:
                flash(
                    _("Tie recorded: no voucher may pass between these organisations."), "success"
                )
                return redirect(url_for("vouchers.providers"))
    return render_template(
        "vouchers/providers.html",
        providers=queries.providers(),
        form=form,
        tie_form=tie_form,
        confirm_form=ConfirmForm(),
    ), status


@bp.route("/admin/vouchers/providers/<int:provider_id>/suspend", methods=["POST"])
@login_required
def provider_suspend(provider_id: int) -> ResponseReturnValue:
    require_role(current_user, "admin")
    form = NoteForm()
    if not form.validate_on_submit():
        raise ValidationError(_("The form expired; try again."))
    schemes.suspend_provider(current_user, provider_id, form.note.data or "")
    flash(_("Provider suspended."), "success")
    return redirect(url_for("vouchers.providers"))


# -- vouchers ------------------------------------------------------------------------------


@bp.route("/vouchers")
@login_required
def index() -> ResponseReturnValue:
    status = request.args.get("status")
    status = status if status in VOUCHER_STATUSES else None
    side = (
        request.args.get("side") if request.args.get("side") in ("enterprise", "provider") else None
    )
    query = queries.visible_vouchers(current_user, status=status, side=side)
    page = page_arg()
    found = paginate(query, page, PER_PAGE)
    items, total = found.items, found.total
    return render_template(
        "vouchers/list.html",
        items=items,
        status=status,
        side=side,
        total=total,
        page=page,
        per_page=PER_PAGE,
    )


@bp.route("/vouchers/apply", methods=["GET", "POST"])
@login_required
def apply() -> ResponseReturnValue:
    if not permissions.can_apply(current_user):
        raise PermissionDenied(_("Enterprise users apply for vouchers."))
    form = ApplyForm()
    form.scheme_id.choices = [(s.id, f"{s.year} · {s.name}") for s in queries.open_schemes()]
    chosen = request.args.get("scheme", type=int)
    if request.method == "GET" and chosen:
        form.scheme_id.data = chosen
    if form.validate_on_submit():
        application = services.Application(
            scheme_id=form.scheme_id.data,
            service_type=form.service_type.data or "",
            requested_amount=form.requested_amount.amount,
            purpose=form.purpose.data or "",
        )
        try:
            voucher_id = submit_once(
                current_user.id,
                form,
                "voucher",
                lambda: services.apply_for_voucher(current_user, application),
                saved=_("Application submitted. You will be told when it is decided."),
                repeated=_(
                    "This form had already been sent; here is the application it submitted."
                ),
            )
        except DomainError as error:
            if isinstance(error, PermissionDenied):
                raise
            apply_errors(form, error)
        else:
            return redirect(url_for("vouchers.detail", voucher_id=voucher_id))
    return render_template(
        "vouchers/apply.html", form=form
    ), 422 if request.method == "POST" else 200


def _booking_choices(voucher: Voucher) -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(Booking)
        .where(
            Booking.requester_org_id == voucher.org_id,
            Booking.status == "completed",
            sa.or_(Booking.voucher_id.is_(None), Booking.voucher_id == voucher.id),
        )
        .order_by(Booking.id.desc())
        .limit(50)
    ).scalars()
    return [(0, "—")] + [
        (b.id, f"#{b.id} {b.instrument.name} {b.starts_at:%Y-%m-%d}")
        for b in rows
        if b.instrument.org_id == voucher.provider_org_id
    ]


def _forms(voucher: Voucher) -> dict[str, FlaskForm]:
    use = UseForm(prefix="use")
    use.provider_org_id.choices = queries.provider_choices(voucher.service_type)
    redeem = RedeemForm(prefix="redeem")
    redeem.booking_id.choices = _booking_choices(voucher)
    return {
        "approve": ApproveForm(prefix="approve"),
        "refuse": RefuseForm(prefix="refuse"),
        "use": use,
        "confirm": NoteForm(prefix="confirm"),
        "redeem": redeem,
        "review": ReviewForm(prefix="review"),
        "revoke": NoteForm(prefix="revoke"),
    }


def _render(
    voucher: Voucher, forms: dict[str, FlaskForm], status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "vouchers/detail.html",
        voucher=voucher,
        forms=forms,
        events=queries.voucher_events(voucher.id),
    ), status


@bp.route("/vouchers/<int:voucher_id>")
@login_required
def detail(voucher_id: int) -> ResponseReturnValue:
    voucher = services.get_voucher_for(current_user, voucher_id)
    return _render(voucher, _forms(voucher))


def _documents(form: RedeemForm) -> dict[str, Upload]:
    uploads: dict[str, Upload] = {}
    for kind in DOCUMENT_KINDS.codes:
        storage = request.files.get(f"redeem-{kind}")
        if storage is not None and storage.filename:
            uploads[kind] = Upload.read(storage.filename, storage.stream, MAX_DOCUMENT)
    return uploads


def _perform(action: str, voucher: Voucher, form: Any) -> str:
    user = current_user
    if action == "approve":
        services.approve_voucher(user, voucher.id, form.amount.amount, form.note.data or "")
        return _("Voucher approved.")
    if action == "refuse":
        services.refuse_voucher(user, voucher.id, form.reason_code.data or "", form.note.data or "")
        return _("Application refused.")
    if action == "use":
        services.use_voucher(
            user, voucher.id, form.provider_org_id.data, form.amount.amount, form.note.data or ""
        )
        return _("Order placed with the provider; it now has to confirm.")
    if action == "confirm":
        services.confirm_voucher(user, voucher.id, form.note.data or "")
        return _("Order confirmed.")
    if action == "redeem":
        services.request_redemption(
            user,
            voucher.id,
            services.Redemption(
                contract_id=form.contract_id.data or None,
                booking_id=form.booking_id.data or None,
                amount=form.amount.amount,
                documents=_documents(form),
            ),
        )
        return _("Redemption requested; an administrator will review it.")
    if action == "review":
        services.review_redemption(
            user,
            voucher.id,
            form.decision.data or "",
            form.reason_code.data or None,
            form.note.data or "",
        )
        return _("Review recorded.")
    services.revoke_voucher(user, voucher.id, form.note.data or "")
    return _("Voucher revoked.")


@bp.route(
    "/vouchers/<int:voucher_id>/"
    "<any(approve, refuse, use, confirm, redeem, review, revoke):action>",
    methods=["POST"],
)
@login_required
def act(voucher_id: int, action: str) -> ResponseReturnValue:
    require_user(current_user)
    voucher = services.get_voucher_for(current_user, voucher_id)
    forms = _forms(voucher)
    form = forms[action]
    if form.validate_on_submit():
        try:
            message = _perform(action, voucher, form)
        except DomainError as error:
            if isinstance(error, PermissionDenied):
                raise
            db.session.rollback()
            apply_errors(form, error)
            voucher = services.get_voucher_for(current_user, voucher_id)
            return _render(voucher, forms, error.status)
        flash(message, "success")
        return redirect(url_for("vouchers.detail", voucher_id=voucher.id))
    return _render(voucher, forms, 422)


@bp.route("/vouchers/documents/<int:document_id>")
@login_required
def document(document_id: int) -> ResponseReturnValue:
    item = document_file(
        document_id, lambda voucher: permissions.can_view_voucher(current_user, voucher)
    )
    response = storage.file_response(item.stored_name, mimetype=item.content_type)
    response.headers["Content-Disposition"] = storage.content_disposition(
        item.original_name, as_attachment=True
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
