"""The JSON form of a listing (SPEC §3 field names), shared by every API that returns one."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_dump

from marketplace.accounts.models import User
from marketplace.listings.models import Attachment, ChallengeApplication, Listing
from marketplace.serialise import ListOrEmpty, MoneyField, date_field, timestamp_field
from marketplace.vocab import maturity_stage

CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")
ACHIEVEMENT_FIELDS = ("summary", "price")
DEMAND_FIELDS = (
    "description",
    "budget_min",
    "budget_max",
    "deadline",
    "is_challenge",
    "bounty",
    "applications_open_on",
    "applications_close_on",
)


class AttachmentSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True, attribute="original_name")
    content_type = fields.String(required=True)
    size_bytes = fields.Integer(required=True)
    url = fields.Function(
        lambda attachment: attachment_url(attachment), required=True, metadata={"type": "string"}
    )


def attachment_url(attachment: Attachment) -> str:
    return f"/attachments/{attachment.id}"


class ListingSchema(Schema):
    """``id``, ``ref``, ``kind``, ``title``, ``status``, ``field``, ``org_id`` and the rest.

    ``summary`` and ``price`` come with achievements only, the demand fields (``description``
    to ``applications_close_on``) with demands only; contact details only for signed-in
    viewers (see ``listing_json``)."""

    id = fields.Integer(required=True)
    ref = fields.String(required=True, allow_none=True)
    kind = fields.String(required=True, metadata={"enum": ["achievement", "demand"]})
    title = fields.String(required=True)
    status = fields.String(required=True)
    field = fields.String(required=True, allow_none=True)
    org_id = fields.Integer(required=True)
    org_name = fields.Function(
        lambda listing: listing.org.name if listing.org else None,
        required=True,
        allow_none=True,
        metadata={"type": "string"},
    )
    keywords = ListOrEmpty(fields.String(), required=True)
    maturity = fields.Integer(required=True, allow_none=True)
    maturity_stage = fields.Function(
        lambda listing: maturity_stage(listing.maturity),
        required=True,
        allow_none=True,
        metadata={"type": "string"},
    )
    ip_type = fields.String(required=True, allow_none=True)
    patent_numbers = ListOrEmpty(fields.String(), required=True)
    modes = ListOrEmpty(fields.String(), required=True)
    region = fields.String(required=True, allow_none=True)
    posted_on = date_field(required=True, allow_none=True)
    published_at = timestamp_field(required=True, allow_none=True)
    created_at = timestamp_field(required=True, allow_none=True)
    updated_at = timestamp_field(required=True, allow_none=True)
    reject_reason = fields.String(required=True, allow_none=True)
    view_count = fields.Integer(required=True)
    keywords_extracted = fields.Boolean(required=True)
    unclassified = fields.Boolean(required=True, attribute="is_unclassified")
    submitted_at = timestamp_field(required=True, allow_none=True)
    closed_at = timestamp_field(required=True, allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    # Achievements
    summary = fields.String(attribute="body")
    price = MoneyField(allow_none=True)
    # Demands
    # The same column as an achievement's summary (one attribute may feed one field only).
    description = fields.Function(lambda listing: listing.body, metadata={"type": "string"})
    budget_min = MoneyField(allow_none=True)
    budget_max = MoneyField(allow_none=True)
    deadline = date_field(allow_none=True)
    is_challenge = fields.Boolean()
    bounty = MoneyField(allow_none=True)
    applications_open_on = date_field(allow_none=True)
    applications_close_on = date_field(allow_none=True)

    @post_dump(pass_original=True)
    def _fields_of_its_kind(
        self, data: dict[str, Any], listing: Listing, **kwargs: Any
    ) -> dict[str, Any]:
        other = DEMAND_FIELDS if listing.kind == "achievement" else ACHIEVEMENT_FIELDS
        for name in other:
            data.pop(name, None)
        return data


class PublicListingSchema(ListingSchema):
    """A listing without its contact details (anonymous readers; listings inside deals and
    match lists)."""

    class Meta:
        exclude = CONTACT_FIELDS


_WITH_CONTACTS = ListingSchema()
_PUBLIC = PublicListingSchema()


def sees_contacts(viewer: Any) -> bool:
    """Contact details are for signed-in viewers only."""
    return viewer is not None and bool(getattr(viewer, "is_authenticated", False))


def listing_json(listing: Listing, viewer: User | None = None) -> dict[str, Any]:
    """The listing as ``viewer`` may read it."""
    schema = _WITH_CONTACTS if sees_contacts(viewer) else _PUBLIC
    data: dict[str, Any] = schema.dump(listing)
    return data


class ApplicationSchema(Schema):
    """A challenge application as its applicant and the challenge owner see it."""

    id = fields.Integer(required=True)
    demand_id = fields.Integer(required=True)
    org_id = fields.Integer(required=True)
    org_name = fields.Function(
        lambda item: item.org.name if item.org else None,
        required=True,
        allow_none=True,
        metadata={"type": "string"},
    )
    applicant_id = fields.Integer(required=True, allow_none=True)
    summary = fields.String(required=True)
    team = fields.String(required=True)
    plan = fields.String(required=True)
    requested_amount = MoneyField(required=True, allow_none=True)
    status = fields.String(required=True)
    reason_code = fields.String(required=True, allow_none=True)
    reason_note = fields.String(required=True, allow_none=True)
    created_at = timestamp_field(required=True, allow_none=True)
    decided_at = timestamp_field(required=True, allow_none=True)


_APPLICATION = ApplicationSchema()


def application_json(application: ChallengeApplication) -> dict[str, Any]:
    """A challenge application as its applicant and the challenge owner see it."""
    data: dict[str, Any] = _APPLICATION.dump(application)
    return data
