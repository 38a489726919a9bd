"""Lot pages: list, offer/edit form, detail with live bidding, review, bidders, result notice."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.permissions import is_admin, require_role
from marketplace.accounts.queries import broker_choices
from marketplace.auctions import bidding, queries, services, settlement
from marketplace.auctions import vocab as auction_vocab
from marketplace.auctions.documents import confirmation_pdf
from marketplace.auctions.forms import (
    ApproveForm,
    BidForm,
    LotForm,
    ReasonForm,
    RegisterForm,
    ReviewForm,
    local_to_utc,
    utc_to_local,
)
from marketplace.auctions.models import LotSession
from marketplace.auctions.serialise import live_json
from marketplace.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationError,
    wants_json,
)
from marketplace.extensions import db
from marketplace.formtools import apply_errors, submit_once
from marketplace.listings.models import Achievement
from marketplace.pagination import page_arg

bp = Blueprint("auctions", __name__)
PER_PAGE = 20


@bp.app_context_processor
def auction_helpers() -> dict[str, Any]:
    """Vocabulary labels and the permission predicates, for templates."""
    return {"auction_vocab": auction_vocab, "lot_can": queries}


@bp.route("/lots")
def index() -> ResponseReturnValue:
    status = request.args.get("status") or None
    status = status if status in auction_vocab.LOT_STATUSES else None
    mode = request.args.get("mode") or None
    mode = mode if mode in auction_vocab.LOT_MODES else None
    mine = request.args.get("mine") == "1"
    page = page_arg()
    query = queries.visible_lots(current_user, status=status, mode=mode, mine=mine)
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    lots = db.session.execute(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).scalars()
    return render_template(
        "auctions/list.html",
        lots=list(lots),
        total=total,
        page=page,
        per_page=PER_PAGE,
        status=status,
        mode=mode,
        mine=mine,
    )


def _achievement_choices() -> list[tuple[int, str]]:
    query = sa.select(Achievement.id, Achievement.title).where(Achievement.status == "published")
    if not is_admin(current_user):
        query = query.where(Achievement.org_id == current_user.org_id)
    rows = db.session.execute(query.order_by(Achievement.id.desc()).limit(500)).all()
    return [(row.id, row.title) for row in rows]


def _form(**kwargs: Any) -> LotForm:
    return LotForm(
        achievement_choices=_achievement_choices(), broker_choices=broker_choices(), **kwargs
    )


def _form_data(form: LotForm) -> services.LotData:
    return services.LotData(
        achievement_id=form.achievement_id.data or None,
        mode=form.mode.data or "",
        rights=form.rights.data or "",
        start_price=form.start_price.amount,
        reserve_price=form.reserve_price.amount,
        increment=form.increment.amount,
        deposit=form.deposit.amount,
        qualifications=form.qualifications.data or "",
        extension_minutes=form.extension_minutes.data or 5,
        registration_opens_at=local_to_utc(form.registration_opens_at.data),
        bidding_starts_at=local_to_utc(form.bidding_starts_at.data),
        bidding_ends_at=local_to_utc(form.bidding_ends_at.data),
        broker_id=form.broker_id.data or None,
    )


@bp.route("/lots/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    require_role(current_user, *queries.OWNER_ROLES, "admin")
    form = _form()
    chosen = request.args.get("achievement", type=int)
    if request.method == "GET" and chosen:
        form.achievement_id.data = chosen
    if form.validate_on_submit():
        try:
            lot_id = submit_once(
                current_user.id,
                form,
                "lot",
                lambda: services.create_lot(current_user, _form_data(form)),
                saved=_("Lot saved as a draft. Submit it for review to announce it."),
                repeated=_("This form had already been sent; here is the lot it saved."),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect(url_for("auctions.detail", lot_id=lot_id))
    status = 422 if request.method == "POST" else 200
    return render_template("auctions/form.html", form=form, lot=None), status


@bp.route("/lots/<int:lot_id>/edit", methods=["GET", "POST"])
@login_required
def edit(lot_id: int) -> ResponseReturnValue:
    lot = queries.get_lot_for(current_user, lot_id)
    if not queries.can_edit(current_user, lot):
        raise PermissionDenied()
    form = _form()
    if request.method == "GET":
        data = services.lot_data(lot)
        form.achievement_id.data = data.achievement_id
        form.mode.data, form.rights.data = data.mode, data.rights
        for name in ("start_price", "reserve_price", "increment", "deposit"):
            value = getattr(data, name)
            getattr(form, name).data = "" if value is None else format(value, "f")
        form.qualifications.data = data.qualifications
        form.extension_minutes.data = data.extension_minutes
        form.registration_opens_at.data = utc_to_local(data.registration_opens_at)
        form.bidding_starts_at.data = utc_to_local(data.bidding_starts_at)
        form.bidding_ends_at.data = utc_to_local(data.bidding_ends_at)
        form.broker_id.data = data.broker_id or 0
    if form.validate_on_submit():
        try:
            services.update_lot(current_user, lot.id, _form_data(form))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash(_("Lot saved."), "success")
            return redirect(url_for("auctions.detail", lot_id=lot.id))
    status = 422 if request.method == "POST" else 200
    return render_template("auctions/form.html", form=form, lot=lot), status


@bp.route("/lots/<int:lot_id>")
def detail(lot_id: int) -> ResponseReturnValue:
    lot = queries.get_lot_for(current_user, lot_id)
    mine = queries.bidder_for(current_user, lot)
    bid_form = BidForm()
    bid_form.amount.data = format(bidding.next_valid_amount(lot), "f")
    return render_template(
        "auctions/detail.html",
        lot=lot,
        mine=mine,
        bids=queries.bids_for(lot, limit=20),
        bidders=queries.bidders_for(lot)
        if queries.can_see_bidder_names(current_user, lot)
        else None,
        history=queries.history_for(lot) if queries.can_see_history(current_user, lot) else None,
        live=live_json(lot, current_user),
        bid_form=bid_form,
        register_form=RegisterForm(),
        approve_form=ApproveForm(),
        review_form=ReviewForm(),
        reason_form=ReasonForm(),
    )


def _back(lot_id: int) -> ResponseReturnValue:
    return redirect(url_for("auctions.detail", lot_id=lot_id))


def _flash_error(error: DomainError) -> None:
    for message in error.fields.values() or [error.message]:
        flash(message, "danger")


@bp.route("/lots/<int:lot_id>/submit", methods=["POST"])
@login_required
def submit(lot_id: int) -> ResponseReturnValue:
    services.submit_lot(current_user, lot_id)
    flash(_("Submitted for review."), "success")
    return _back(lot_id)


@bp.route("/lots/<int:lot_id>/review", methods=["POST"])
@login_required
def review(lot_id: int) -> ResponseReturnValue:
    require_role(current_user, "admin")
    form = ReviewForm()
    if not form.validate_on_submit():
        raise ValidationError(fields={k: " ".join(v) for k, v in form.errors.items()})
    try:
        services.review_lot(current_user, lot_id, form.decision.data or "", form.reason.data or "")
    except ValidationError as error:
        _flash_error(error)
    else:
        flash(_("Review recorded."), "success")
    return _back(lot_id)


@bp.route("/lots/<int:lot_id>/withdraw", methods=["POST"])
@login_required
def withdraw(lot_id: int) -> ResponseReturnValue:
    form = ReasonForm()
    services.withdraw_lot(current_user, lot_id, form.reason.data or "")
    flash(_("The lot was withdrawn."), "success")
    return _back(lot_id)


@bp.route("/lots/<int:lot_id>/register", methods=["POST"])
@login_required
def register(lot_id: int) -> ResponseReturnValue:
    form = RegisterForm()
    if not form.validate_on_submit():
        raise ValidationError(fields={k: " ".join(v) for k, v in form.errors.items()})
    bidding.register_bidder(current_user, lot_id, form.documents.data or "")
    flash(
        _("Registered. Pay the deposit to the organiser; you can bid once it is approved."),
        "success",
    )
    return _back(lot_id)


@bp.route("/lots/<int:lot_id>/bidders/<int:bidder_id>/approve", methods=["POST"])
@login_required
def approve(lot_id: int, bidder_id: int) -> ResponseReturnValue:
    lot = queries.get_lot_for(current_user, lot_id)
    if not queries.is_organiser(current_user, lot):
        raise PermissionDenied()
    form = ApproveForm()
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(message, "danger")
        return _back(lot_id)
    try:
        bidding.approve_bidder(
            current_user,
            lot_id,
            bidder_id,
            bidding.DepositData(
                receipt=form.deposit_receipt.data or "", amount=form.deposit_amount.amount
            ),
        )
    except ValidationError as error:
        _flash_error(error)
    else:
        flash(_("Deposit recorded and bidder approved."), "success")
    return _back(lot_id)


@bp.route("/lots/<int:lot_id>/bid", methods=["POST"])
@login_required
def bid(lot_id: int) -> ResponseReturnValue:
    """A bid from the page: JSON for the page's script (no reload), a redirect otherwise."""
    form = BidForm()
    if not form.validate_on_submit():
        error: DomainError = ValidationError(
            fields={k: " ".join(v) for k, v in form.errors.items()}
        )
        if wants_json():
            raise error
        _flash_error(error)
        return _back(lot_id)
    try:
        bidding.place_bid(current_user, lot_id, form.amount.amount)
    except (ValidationError, Conflict) as error:
        # Outbid, off the grid, closed: the bidder stays on the page and reads why.
        if wants_json():
            raise
        _flash_error(error)
        return _back(lot_id)
    lot = queries.get_lot_for(current_user, lot_id)
    if wants_json():
        return jsonify(live_json(lot, current_user)), 201
    flash(_("Your bid was accepted."), "success")
    return _back(lot_id)


@bp.route("/lots/<int:lot_id>/default", methods=["POST"])
@login_required
def default(lot_id: int) -> ResponseReturnValue:
    form = ReasonForm()
    try:
        settlement.mark_default(current_user, lot_id, form.reason.data or "")
    except ValidationError as error:
        _flash_error(error)
    else:
        flash(_("The winner's deposit is forfeited and the organisation suspended."), "success")
    return _back(lot_id)


@bp.route("/lots/<int:lot_id>/result")
def result(lot_id: int) -> ResponseReturnValue:
    """The public result notice (成交公告)."""
    lot = queries.get_lot_for(current_user, lot_id)
    if lot.status not in ("sold", "unsold"):
        return _back(lot_id)
    return render_template("auctions/result.html", lot=lot, bidders=queries.approved_count(lot))


@bp.route("/lots/<int:lot_id>/confirmation.pdf")
@login_required
def confirmation(lot_id: int) -> ResponseReturnValue:
    """The 成交确认书 for the winner, the seller and the organiser."""
    lot = queries.get_lot_for(current_user, lot_id)
    if not queries.can_see_confirmation(current_user, lot, queries.bidder_for(current_user, lot)):
        raise PermissionDenied()
    return Response(
        confirmation_pdf(lot),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="lot-{lot.id}-confirmation.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/lot-sessions/<int:session_id>")
def session_detail(session_id: int) -> ResponseReturnValue:
    session = db.session.get(LotSession, session_id)
    if session is None:
        raise NotFound()
    lots = [lot for lot in session.lots if queries.can_view(current_user, lot)]
    return render_template("auctions/session.html", session=session, lots=lots)
