"""Shared instruments API: the library, bookings and their approve/decline/complete steps."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import (
    MoneyField,
    PageArgs,
    api_user,
    create_once,
    decimal_string,
    errors,
    items_of,
    output,
    page_of,
    paginate,
    require_api_user,
)
from marketplace.errors import PermissionDenied
from marketplace.instruments import permissions, queries, services
from marketplace.instruments.models import Booking, Instrument
from marketplace.instruments.vocab import (
    BOOKING_STATUSES,
    FEE_BANDS,
    FEE_UNITS,
    INSTRUMENT_CATEGORIES,
    INSTRUMENT_STATUSES,
)
from marketplace.money import money_str
from marketplace.serialise import timestamp_field

blp = Blueprint("api_instruments", __name__, description="Shared large instruments (SPEC §6.3)")


@output()
class InstrumentOut(Schema):
    id = fields.Integer()
    ref = fields.String(allow_none=True)
    name = fields.String()
    model = fields.String(attribute="model_no", allow_none=True)
    category = fields.String()
    org_id = fields.Integer()
    org_name = fields.Function(lambda instrument: instrument.org.name, metadata={"type": "string"})
    region = fields.Function(
        lambda instrument: instrument.org.region, allow_none=True, metadata={"type": "string"}
    )
    location = fields.String(allow_none=True)
    specification = fields.String(allow_none=True)
    fee = MoneyField(allow_none=True)
    fee_unit = fields.String()
    open_hours = fields.String(allow_none=True)
    status = fields.String()
    created_at = timestamp_field()


@output()
class BookingOut(Schema):
    id = fields.Integer()
    instrument_id = fields.Integer()
    requester_id = fields.Integer(allow_none=True)
    requester_org_id = fields.Integer()
    starts_at = timestamp_field()
    ends_at = timestamp_field()
    purpose = fields.String()
    samples = fields.Integer(allow_none=True)
    status = fields.String()
    decision_reason = fields.String(allow_none=True)
    decided_at = timestamp_field(allow_none=True)
    used_minutes = fields.Integer(allow_none=True)
    used_samples = fields.Integer(allow_none=True)
    fee = MoneyField(allow_none=True)
    voucher_id = fields.Integer(allow_none=True)
    voucher_amount = MoneyField(allow_none=True)
    completed_at = timestamp_field(allow_none=True)


class FacetOut(Schema):
    code = fields.String(required=True)
    label = fields.String(required=True)
    count = fields.Integer(required=True)


InstrumentPage = page_of(
    InstrumentOut,
    "InstrumentPage",
    facets=fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Nested(FacetOut)),
        required=True,
        metadata={"description": "category, region, org and fee: counts per value"},
    ),
)
BookingPage = page_of(BookingOut, "BookingPage")


@output()
class UtilisationOut(Schema):
    instrument_id = fields.Integer(allow_none=True)
    name = fields.String()
    bookings = fields.Integer()
    hours = decimal_string()
    outside_hours = decimal_string()
    outside_share = decimal_string(allow_none=True)
    fees = decimal_string(allow_none=True)
    voucher_fees = decimal_string(allow_none=True)


Utilisation = items_of(
    UtilisationOut, "InstrumentUtilisation", total=fields.Nested(UtilisationOut, required=True)
)


class InstrumentListArgs(PageArgs):
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    category = fields.String(
        load_default=None, validate=validate.OneOf(INSTRUMENT_CATEGORIES.codes)
    )
    region = fields.String(load_default=None, validate=validate.Regexp(r"^\d{6}$"))
    org_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))
    fee = fields.String(load_default=None, validate=validate.OneOf(FEE_BANDS.codes))


class InstrumentInput(Schema):
    name = fields.String(required=True, validate=validate.Length(max=200))
    model = fields.String(load_default="", validate=validate.Length(max=120))
    category = fields.String(required=True)
    location = fields.String(load_default="", validate=validate.Length(max=200))
    specification = fields.String(load_default="", validate=validate.Length(max=4000))
    fee = MoneyField(required=True)
    fee_unit = fields.String(load_default="hour", validate=validate.OneOf(FEE_UNITS.codes))
    open_hours = fields.String(load_default="", validate=validate.Length(max=200))
    status = fields.String(
        load_default="active", validate=validate.OneOf(INSTRUMENT_STATUSES.codes)
    )
    ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    org_id = fields.Integer(load_default=None, allow_none=True, strict=True)


class BookingInput(Schema):
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    purpose = fields.String(required=True, validate=validate.Length(max=4000))
    samples = fields.Integer(load_default=0, strict=True)
    voucher_id = fields.Integer(load_default=None, allow_none=True, strict=True)


class BookingListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(BOOKING_STATUSES.codes))


class BookingReasonInput(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class UsageInput(Schema):
    used_minutes = fields.Integer(load_default=None, allow_none=True, strict=True)
    used_samples = fields.Integer(load_default=None, allow_none=True, strict=True)
    note = fields.String(load_default="", validate=validate.Length(max=4000))


def _instrument_data(args: dict[str, Any]) -> services.InstrumentData:
    return services.InstrumentData(
        name=args["name"],
        model_no=args["model"],
        category=args["category"],
        location=args["location"],
        specification=args["specification"],
        fee=args["fee"],
        fee_unit=args["fee_unit"],
        open_hours=args["open_hours"],
        status=args["status"],
        ref=args["ref"],
        org_id=args["org_id"],
    )


@blp.route("/instruments")
class InstrumentsResource(MethodView):
    @blp.arguments(InstrumentListArgs, location="query")
    @blp.response(200, InstrumentPage)
    @errors(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The instrument library (anyone): filters and facet counts for category, region,
        organisation and fee band."""
        filters = queries.LibraryFilters(
            q=args["q"],
            category=args["category"],
            region=args["region"],
            org_id=args["org_id"],
            fee_band=args["fee"],
        )
        result = queries.library(filters)
        body = paginate(result.query, args["page"], args["per_page"])
        body["facets"] = {
            name: [{"code": f.code, "label": f.label, "count": f.count} for f in facets]
            for name, facets in result.facets.items()
        }
        return body

    @blp.arguments(InstrumentInput)
    @blp.response(201, InstrumentOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any]) -> tuple[Instrument, int]:
        """Add an instrument of your organisation (admins: of ``org_id``)."""
        user = require_api_user()
        instrument_id, _created = create_once(
            "instrument", lambda: services.create_instrument(user, _instrument_data(args))
        )
        return services.get_instrument(instrument_id), 201


@blp.route("/instruments/<int:instrument_id>")
class InstrumentResource(MethodView):
    @blp.response(200, InstrumentOut)
    @errors(blp, 404)
    def get(self, instrument_id: int) -> Instrument:
        """One instrument (anyone)."""
        return services.get_instrument(instrument_id)

    @blp.arguments(InstrumentInput)
    @blp.response(200, InstrumentOut)
    @errors(blp, 403, 404, 409)
    def put(self, args: dict[str, Any], instrument_id: int) -> Instrument:
        """Replace an instrument's details (owner organisation, admins)."""
        return services.update_instrument(require_api_user(), instrument_id, _instrument_data(args))


@blp.route("/instruments/<int:instrument_id>/bookings")
class InstrumentBookingsResource(MethodView):
    @blp.arguments(BookingListArgs, location="query")
    @blp.response(200, BookingPage)
    @errors(blp, 403, 404)
    def get(self, args: dict[str, Any], instrument_id: int) -> dict[str, Any]:
        """Bookings of the instrument: all of them for its owner and admins; your own
        organisation's for others."""
        user = require_api_user()
        instrument = services.get_instrument(instrument_id)
        query = queries.bookings_query(user, role="all", status=args["status"]).where(
            Booking.instrument_id == instrument.id
        )
        if not permissions.can_manage_instrument(user, instrument):
            query = query.where(Booking.requester_org_id == user.org_id)
        return paginate(query, args["page"], args["per_page"])

    @blp.arguments(BookingInput)
    @blp.response(201, BookingOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], instrument_id: int) -> tuple[Booking, int]:
        """Ask for a slot (refused with 409 ``slot_taken`` if it meets an approved booking);
        ``voucher_id`` lets an innovation voucher pay part of the fee."""
        user = require_api_user()
        booking_id, _created = create_once(
            "booking",
            lambda: services.request_booking(user, instrument_id, services.BookingData(**args)),
        )
        return services.get_booking_for(user, booking_id), 201


@blp.route("/bookings/<int:booking_id>")
class BookingResource(MethodView):
    @blp.response(200, BookingOut)
    @errors(blp, 403, 404)
    def get(self, booking_id: int) -> Booking:
        """One booking (requester, owner, admins)."""
        return services.get_booking_for(api_user(), booking_id)


@blp.route("/bookings/<int:booking_id>/approve")
class ApproveResource(MethodView):
    @blp.arguments(BookingReasonInput)
    @blp.response(200, BookingOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], booking_id: int) -> Booking:
        """Approve a requested slot (owner organisation, admins)."""
        return services.approve_booking(require_api_user(), booking_id, args["reason"])


@blp.route("/bookings/<int:booking_id>/decline")
class DeclineResource(MethodView):
    @blp.arguments(BookingReasonInput)
    @blp.response(200, BookingOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], booking_id: int) -> Booking:
        """Decline a requested slot with a ``reason`` (owner organisation, admins)."""
        return services.decline_booking(require_api_user(), booking_id, args["reason"])


@blp.route("/bookings/<int:booking_id>/complete")
class CompleteResource(MethodView):
    @blp.arguments(UsageInput)
    @blp.response(200, BookingOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], booking_id: int) -> Booking:
        """Record the usage of an approved booking; the fee (and a voucher's part) follow."""
        usage = services.UsageData(
            used_minutes=args["used_minutes"], used_samples=args["used_samples"], note=args["note"]
        )
        return services.complete_booking(require_api_user(), booking_id, usage)


@blp.route("/instruments/utilisation")
class UtilisationResource(MethodView):
    @blp.response(200, Utilisation)
    @errors(blp, 403)
    def get(self) -> dict[str, Any]:
        """Your organisation's utilisation figures per instrument (hours, outside share, fees)."""
        user = require_api_user()
        if user.role not in permissions.MEMBER_ROLES:
            raise PermissionDenied()
        rows, total = queries.utilisation(user.org_id)

        def row(item: queries.Utilisation) -> dict[str, Any]:
            share = item.outside_share
            return {
                "instrument_id": item.instrument_id,
                "name": item.name,
                "bookings": item.bookings,
                "hours": format(item.hours, "f"),
                "outside_hours": format(item.outside_hours, "f"),
                "outside_share": None if share is None else format(share, "f"),
                "fees": money_str(item.fees),
                "voucher_fees": money_str(item.voucher_fees),
            }

        return {"items": [row(item) for item in rows], "total": row(total)}
