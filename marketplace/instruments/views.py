"""Instrument pages: the library with facets, detail and booking, owners' management, import."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace import storage
from marketplace.accounts.queries import organisation_choices
from marketplace.errors import DomainError, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.formtools import apply_errors, submit_once
from marketplace.instruments import importing, permissions, queries, services
from marketplace.instruments.forms import (
    BookingForm,
    ImportForm,
    InstrumentForm,
    PhotoForm,
    ReasonForm,
    UsageForm,
)
from marketplace.instruments.models import Booking, Instrument
from marketplace.instruments.vocab import (
    BOOKING_STATUSES,
    FEE_BANDS,
    FEE_UNITS,
    INSTRUMENT_CATEGORIES,
    INSTRUMENT_STATUSES,
)
from marketplace.listings.attachments import Upload
from marketplace.money import format_yuan
from marketplace.pagination import page_arg, paginate
from marketplace.vocab import is_region
from marketplace.vouchers.models import Voucher
from marketplace.workdays import LOCAL_TZ

bp = Blueprint("instruments", __name__)
PER_PAGE = 20


@bp.app_context_processor
def instrument_helpers() -> dict[str, Any]:
    """Labels and permission predicates for templates (they never re-encode the rules)."""
    return {
        "instrument_vocab": {
            "categories": INSTRUMENT_CATEGORIES,
            "fee_units": FEE_UNITS,
            "statuses": INSTRUMENT_STATUSES,
            "booking_statuses": BOOKING_STATUSES,
            "fee_bands": FEE_BANDS,
        },
        "instrument_can": permissions,
    }


@bp.route("/instruments")
def library() -> ResponseReturnValue:
    category = request.args.get("category") or None
    region = request.args.get("region") or None
    fee = request.args.get("fee") or None
    filters = queries.LibraryFilters(
        q=(request.args.get("q") or "").strip()[:100] or None,
        category=category if category in INSTRUMENT_CATEGORIES else None,
        region=region if is_region(region) else None,
        org_id=request.args.get("org", type=int)
        if (request.args.get("org") or "").isdigit() and len(request.args.get("org", "")) < 10
        else None,
        fee_band=fee if fee in FEE_BANDS else None,
    )
    result = queries.library(filters)
    page = page_arg()
    found = paginate(result.query, page, PER_PAGE)
    items, total = found.items, found.total
    return render_template(
        "instruments/library.html",
        items=items,
        facets=result.facets,
        filters=filters,
        total=total,
        page=page,
        per_page=PER_PAGE,
    )


def _local(value: datetime | None) -> datetime | None:
    """A ``datetime-local`` form value is Beijing time; services take aware datetimes."""
    return None if value is None else value.replace(tzinfo=LOCAL_TZ)


def _voucher_choices(instrument: Instrument) -> list[tuple[int, str]]:
    if not current_user.is_authenticated:
        return [(0, "—")]
    vouchers = db.session.execute(
        sa.select(Voucher)
        .where(
            Voucher.org_id == current_user.org_id,
            Voucher.provider_org_id == instrument.org_id,
            Voucher.status.in_(("ordered", "confirmed")),
        )
        .order_by(Voucher.id)
    ).scalars()
    return [(0, _("No voucher"))] + [
        (v.id, _("Voucher #%(id)s (%(amount)s)", id=v.id, amount=format_yuan(v.order_amount)))
        for v in vouchers
    ]


@bp.route("/instruments/<int:instrument_id>", methods=["GET", "POST"])
def detail(instrument_id: int) -> ResponseReturnValue:
    instrument = services.get_instrument(instrument_id)
    form = BookingForm()
    form.voucher_id.choices = _voucher_choices(instrument)
    status = 200
    if request.method == "POST":
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.path))
        if form.validate_on_submit():
            data = services.BookingData(
                starts_at=_local(form.starts_at.data),
                ends_at=_local(form.ends_at.data),
                purpose=form.purpose.data or "",
                samples=form.samples.data or 0,
                voucher_id=form.voucher_id.data or None,
            )
            try:
                booking_id = submit_once(
                    current_user.id,
                    form,
                    "booking",
                    lambda: services.request_booking(current_user, instrument.id, data),
                    saved=_("Booking requested. The owner will approve or decline it."),
                    repeated=_(
                        "This form had already been sent; here is the booking it requested."
                    ),
                )
            except DomainError as error:
                if isinstance(error, PermissionDenied):
                    raise
                apply_errors(form, error)
            else:
                return redirect(url_for("instruments.booking", booking_id=booking_id))
        status = 422
    manage = permissions.can_manage_instrument(current_user, instrument)
    bookings = queries.bookings_of_instrument(instrument.id) if manage else []
    taken = queries.bookings_of_instrument(instrument.id, ("approved",))
    return render_template(
        "instruments/detail.html",
        instrument=instrument,
        form=form,
        manage=manage,
        bookings=bookings,
        taken=taken,
    ), status


def _instrument_data(form: InstrumentForm) -> services.InstrumentData:
    return services.InstrumentData(
        name=form.name.data or "",
        model_no=form.model_no.data or "",
        category=form.category.data or "",
        location=form.location.data or "",
        specification=form.specification.data or "",
        fee=form.fee.amount,
        fee_unit=form.fee_unit.data or "",
        open_hours=form.open_hours.data or "",
        status=form.status.data or "",
        ref=form.ref.data or None,
        org_id=(form.org_id.data or None) if current_user.role == "admin" else None,
    )


@bp.route("/instruments/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    if not permissions.can_add_instrument(current_user):
        raise PermissionDenied()
    form = InstrumentForm()
    form.org_id.choices = organisation_choices()
    if form.validate_on_submit():
        try:
            instrument_id = submit_once(
                current_user.id,
                form,
                "instrument",
                lambda: services.create_instrument(current_user, _instrument_data(form)),
                saved=_("Instrument added to the library."),
                repeated=_("This form had already been sent; here is the instrument it added."),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect(url_for("instruments.detail", instrument_id=instrument_id))
    return render_template(
        "instruments/form.html", form=form, instrument=None
    ), 422 if request.method == "POST" else 200


@bp.route("/instruments/<int:instrument_id>/edit", methods=["GET", "POST"])
@login_required
def edit(instrument_id: int) -> ResponseReturnValue:
    instrument = services.get_instrument(instrument_id)
    if not permissions.can_manage_instrument(current_user, instrument):
        raise PermissionDenied()
    form = InstrumentForm(obj=instrument)
    form.org_id.choices = organisation_choices()
    if request.method == "GET":
        form.fee.data = str(instrument.fee)
    if form.validate_on_submit():
        try:
            services.update_instrument(current_user, instrument.id, _instrument_data(form))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash(_("Instrument saved."), "success")
            return redirect(url_for("instruments.detail", instrument_id=instrument.id))
    return render_template(
        "instruments/form.html", form=form, instrument=instrument, photo_form=PhotoForm()
    ), 422 if request.method == "POST" else 200


@bp.route("/instruments/<int:instrument_id>/photo", methods=["GET", "POST"])
def photo(instrument_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        response = storage.file_response(services.instrument_photo(instrument_id))
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.cache_control.public = True
        response.cache_control.max_age = 3600
        return response
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.path))
    instrument = services.get_instrument(instrument_id)
    if not permissions.can_manage_instrument(current_user, instrument):
        raise PermissionDenied()
    form = PhotoForm()
    file = request.files.get("photo")
    if form.validate_on_submit():
        try:
            services.set_instrument_photo(
                current_user,
                instrument.id,
                Upload.read(
                    file.filename if file else "",
                    file.stream if file else io.BytesIO(b""),
                    10 * 1024 * 1024,
                ),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash(_("Photo saved."), "success")
            return redirect(url_for("instruments.detail", instrument_id=instrument.id))
    edit_form = InstrumentForm(obj=instrument)
    edit_form.org_id.choices = organisation_choices()
    edit_form.fee.data = str(instrument.fee)
    return render_template(
        "instruments/form.html", form=edit_form, instrument=instrument, photo_form=form
    ), 422


@bp.route("/instruments/mine")
@login_required
def mine() -> ResponseReturnValue:
    """The owner's page: instruments, bookings to decide or complete, utilisation."""
    if current_user.role not in permissions.MEMBER_ROLES:
        raise PermissionDenied()
    rows, total = queries.utilisation(current_user.org_id)
    pending = (
        db.session.execute(
            queries.bookings_query(current_user, role="owner")
            .where(Booking.status.in_(("requested", "approved")))
            .limit(100)
        )
        .scalars()
        .all()
    )
    return render_template(
        "instruments/mine.html",
        instruments=queries.instruments_of(current_user.org_id),
        rows=rows,
        total=total,
        pending=pending,
    )


@bp.route("/instruments/import", methods=["GET", "POST"])
@login_required
def import_page() -> ResponseReturnValue:
    if not permissions.can_add_instrument(current_user):
        raise PermissionDenied()
    form = ImportForm()
    result = None
    status = 200
    if form.validate_on_submit():
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise ValidationError(fields={"file": _("Choose a file to upload.")})
            org = request.form.get("org_id", type=int)
            result = importing.import_instruments(
                current_user, upload.filename, upload.read(10 * 1024 * 1024), org
            )
        except ValidationError as error:
            apply_errors(form, error)
            status = 422
        else:
            if result.errors:
                status = 422
            else:
                flash(
                    _(
                        "%(created)d instruments added, %(updated)d updated.",
                        created=result.created,
                        updated=result.updated,
                    ),
                    "success",
                )
                return redirect(url_for("instruments.mine"))
    elif request.method == "POST":
        status = 422
    return render_template(
        "instruments/import.html",
        form=form,
        result=result,
        org_choices=organisation_choices() if current_user.role == "admin" else [],
    ), status


# -- bookings ------------------------------------------------------------------------------


@bp.route("/bookings")
@login_required
def bookings() -> ResponseReturnValue:
    side: str = request.args.get("side") or "requester"
    if side not in ("owner", "requester"):
        side = "requester"
    if current_user.role == "admin" and request.args.get("side") is None:
        side = "all"
    page = page_arg()
    found = paginate(queries.bookings_query(current_user, role=side), page, PER_PAGE)
    items, total = found.items, found.total
    return render_template(
        "instruments/bookings.html",
        items=items,
        side=side,
        total=total,
        page=page,
        per_page=PER_PAGE,
    )


@bp.route("/bookings/<int:booking_id>")
@login_required
def booking(booking_id: int) -> ResponseReturnValue:
    item = services.get_booking_for(current_user, booking_id)
    return render_template(
        "instruments/booking.html",
        booking=item,
        events=queries.booking_events(item.id),
        reason_form=ReasonForm(),
        usage_form=UsageForm(),
    )


def _after(booking_id: int, message: str) -> ResponseReturnValue:
    flash(message, "success")
    return redirect(url_for("instruments.booking", booking_id=booking_id))


def _failed(booking_id: int, error: DomainError) -> ResponseReturnValue:
    if isinstance(error, PermissionDenied):
        raise error
    for text in error.fields.values() or [error.message]:
        flash(text, "danger")
    return redirect(url_for("instruments.booking", booking_id=booking_id))


@bp.route("/bookings/<int:booking_id>/<any(approve, decline, cancel):action>", methods=["POST"])
@login_required
def decide(booking_id: int, action: str) -> ResponseReturnValue:
    form = ReasonForm()
    if not form.validate_on_submit():
        return _failed(
            booking_id,
            ValidationError(
                fields=dict((name, " ".join(errors)) for name, errors in form.errors.items())
            ),
        )
    service = {
        "approve": services.approve_booking,
        "decline": services.decline_booking,
        "cancel": services.cancel_booking,
    }[action]
    try:
        service(current_user, booking_id, form.reason.data or "")
    except DomainError as error:
        return _failed(booking_id, error)
    return _after(
        booking_id,
        {
            "approve": _("Booking approved."),
            "decline": _("Booking declined."),
            "cancel": _("Booking cancelled."),
        }[action],
    )


@bp.route("/bookings/<int:booking_id>/complete", methods=["POST"])
@login_required
def complete(booking_id: int) -> ResponseReturnValue:
    form = UsageForm()
    if not form.validate_on_submit():
        return _failed(
            booking_id,
            ValidationError(
                fields=dict((name, " ".join(errors)) for name, errors in form.errors.items())
            ),
        )
    try:
        services.complete_booking(
            current_user,
            booking_id,
            services.UsageData(
                used_minutes=form.used_minutes.data,
                used_samples=form.used_samples.data,
                note=form.note.data or "",
            ),
        )
    except DomainError as error:
        return _failed(booking_id, error)
    return _after(booking_id, _("Usage recorded and the fee computed."))
