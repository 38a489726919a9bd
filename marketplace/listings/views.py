"""Listing pages: public lists and details, owners' pages, forms, attachments and challenges."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
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
from werkzeug.wrappers import Response as WerkzeugResponse

from marketplace import storage
from marketplace.accounts.permissions import require_role, require_user
from marketplace.errors import DomainError, ValidationError
from marketplace.formtools import apply_errors
from marketplace.idempotency import run_once
from marketplace.listings import challenges, permissions, queries, services
from marketplace.listings.attachments import (
    Upload,
    add_listing_attachment,
    delete_attachment,
    get_attachment_for,
)
from marketplace.listings.exporting import EXPORT_FORMATS, export_bytes, iter_listings
from marketplace.listings.forms import (
    FORMS,
    ApplicationForm,
    AttachmentForm,
    DecisionForm,
    NoteForm,
    ReviewForm,
)
from marketplace.listings.models import APPLICATION_REASONS, APPLICATION_STATUSES

bp = Blueprint("listings", __name__)

PER_PAGE = 20
KIND_PATHS = {"achievement": "achievements", "demand": "demands"}
BODY_ALIASES = {"summary": "body", "description": "body"}


def _page() -> int:
    value = request.args.get("page", "1")
    return max(1, min(int(value), 10000)) if value.isdigit() else 1


def _export(kind: str, query: Any, fmt: str, name: str) -> Response:
    if fmt not in EXPORT_FORMATS:
        abort(404)
    data = export_bytes(kind, iter_listings(query), fmt)
    response = Response(data, mimetype=EXPORT_FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# -- public --------------------------------------------------------------------------------


def _register_kind_routes(kind: str) -> None:
    path = KIND_PATHS[kind]
    defaults = {"kind": kind}
    bp.add_url_rule(f"/{path}", f"{kind}_list", list_listings, defaults=defaults)
    bp.add_url_rule(f"/{path}/export.<fmt>", f"{kind}_export", export_listings, defaults=defaults)
    bp.add_url_rule(f"/{path}/<int:listing_id>", f"{kind}_detail", detail, defaults=defaults)
    bp.add_url_rule(
        f"/{path}/new", f"{kind}_new", new_listing, defaults=defaults, methods=["GET", "POST"]
    )
    bp.add_url_rule(f"/my/{path}", f"my_{kind}s", my_listings, defaults=defaults)
    bp.add_url_rule(
        f"/my/{path}/export.<fmt>", f"my_{kind}s_export", export_my_listings, defaults=defaults
    )


def list_listings(kind: str) -> ResponseReturnValue:
    filters = queries.ListingFilters.from_args(request.args)
    items, total = queries.page_of(queries.public_listings(kind, filters), _page(), PER_PAGE)
    return render_template(
        "listings/list.html",
        kind=kind,
        items=items,
        total=total,
        page=_page(),
        per_page=PER_PAGE,
        filters=filters,
    )


def export_listings(kind: str, fmt: str) -> ResponseReturnValue:
    filters = queries.ListingFilters.from_args(request.args)
    return _export(kind, queries.public_listings(kind, filters), fmt, KIND_PATHS[kind])


def detail(kind: str, listing_id: int) -> ResponseReturnValue:
    listing = services.get_listing_for(current_user, listing_id, kind)
    views = services.record_view(current_user, listing)
    manage = services.can_manage(current_user, listing)
    context: dict[str, Any] = {
        "listing": listing,
        "kind": kind,
        "can_manage": manage,
        "view_count": views,
        "events": services.events_for(current_user, listing),
        "attachment_form": AttachmentForm(),
        "note_form": NoteForm(),
        "review_form": ReviewForm(),
        "missing": services.missing_for_review(listing) if manage else {},
    }
    if kind == "demand" and listing.is_challenge:
        context.update(_challenge_context(listing))
    return render_template("listings/detail.html", **context)


def _challenge_context(
    listing: Any, application_form: ApplicationForm | None = None
) -> dict[str, Any]:
    own = challenges.own_application(current_user, listing.id)
    owner = services.can_manage(current_user, listing)
    return {
        "counts": challenges.challenge_counts(listing.id),
        "applications_open": challenges.applications_open(listing),
        "own_application": own,
        "application_form": application_form or ApplicationForm(),
        "applications": (
            challenges.applications_for_challenge(current_user, listing.id) if owner else []
        ),
        "decision_form": DecisionForm(),
        "APPLICATION_STATUSES": APPLICATION_STATUSES,
        "APPLICATION_REASONS": APPLICATION_REASONS,
        "application_attachments": challenges.application_attachments,
    }


# -- owners --------------------------------------------------------------------------------


@login_required
def new_listing(kind: str) -> ResponseReturnValue:
    require_role(current_user, *services.CREATOR_ROLES[kind])
    form = FORMS[kind]()
    if form.validate_on_submit():
        try:
            listing_id, created = run_once(
                current_user.id,
                kind,
                form.form_token.data,
                lambda: services.create_listing(current_user, kind, form.to_input()),
            )
            if created and form.save_submit.data:
                return _submit_after_save(services.get_listing_for(current_user, listing_id, kind))
        except ValidationError as error:
            apply_errors(form, error, aliases=BODY_ALIASES)
        else:
            if created:
                flash(_("Draft saved. Submit it for review when it is complete."), "success")
            else:
                flash(_("This form had already been sent; here is the listing it created."), "info")
            return redirect(url_for(f"listings.{kind}_detail", listing_id=listing_id))
    status = 422 if request.method == "POST" else 200
    return render_template("listings/form.html", form=form, kind=kind, listing=None), status


def _submit_after_save(listing: Any) -> ResponseReturnValue:
    try:
        services.submit_listing(current_user, listing.id)
    except DomainError as error:
        flash(
            _("Saved as a draft, but not submitted: %(reason)s", reason=error.message)
            + " "
            + "; ".join(error.fields.values()),
            "warning",
        )
    else:
        flash(_("Saved and submitted for review."), "success")
    return redirect(url_for(f"listings.{listing.kind}_detail", listing_id=listing.id))


@bp.app_context_processor
def listing_helpers() -> dict[str, Any]:
    """The listing permission predicates, for templates (never ``role == ...`` in a template)."""
    return {"listing_can": permissions}


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit_listing(listing_id: int) -> ResponseReturnValue:
    listing = services.get_managed_listing(current_user, listing_id)
    if listing.status not in services.EDITABLE_STATUSES:
        flash(_("A closed listing cannot be edited."), "warning")
        return _back(listing.id, listing.kind)
    form = FORMS[listing.kind]()
    if request.method == "GET":
        form.fill(listing)
    if form.validate_on_submit():
        was_published = listing.status == "published"
        try:
            listing = services.update_listing(current_user, listing_id, form.to_input())
            if form.save_submit.data and listing.status in ("draft", "rejected"):
                return _submit_after_save(listing)
        except ValidationError as error:
            apply_errors(form, error, aliases=BODY_ALIASES)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            if was_published and listing.status == "pending":
                flash(
                    _(
                        "Saved. The listing is back in review and hidden until it is approved "
                        "again."
                    ),
                    "warning",
                )
            else:
                flash(_("Saved."), "success")
            return redirect(url_for(f"listings.{listing.kind}_detail", listing_id=listing.id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "listings/form.html", form=form, kind=listing.kind, listing=listing
    ), status


def _back(listing_id: int, kind: str | None = None) -> WerkzeugResponse:
    if kind is None:
        return redirect(url_for("main.index"))
    return redirect(url_for(f"listings.{kind}_detail", listing_id=listing_id))


@bp.route("/listings/<int:listing_id>/<any(submit, close, delete):action>", methods=["POST"])
@login_required
def listing_action(listing_id: int, action: str) -> ResponseReturnValue:
    listing = services.get_managed_listing(current_user, listing_id)
    kind = listing.kind
    form = NoteForm()
    if not form.validate_on_submit():
        flash(_("The form expired or was not sent from this site. Please try again."), "danger")
        return _back(listing_id, kind)
    try:
        if action == "submit":
            services.submit_listing(current_user, listing_id, note=form.note.data or "")
            flash(_("Submitted for review."), "success")
        elif action == "close":
            services.close_listing(current_user, listing_id, form.note.data or "")
            flash(_("The listing is closed."), "info")
        else:
            services.delete_listing(current_user, listing_id)
            flash(_("The listing was deleted."), "info")
            return redirect(url_for(f"listings.my_{kind}s"))
    except DomainError as error:
        flash(" ".join([error.message, *error.fields.values()]), "danger")
    return _back(listing_id, kind)


@login_required
def my_listings(kind: str) -> ResponseReturnValue:
    user = require_user(current_user)
    filters = queries.ListingFilters.from_args(request.args)
    query = queries.org_listings(kind, user.org_id, filters)
    items, total = queries.page_of(query, _page(), PER_PAGE)
    return render_template(
        "listings/mine.html",
        kind=kind,
        items=items,
        total=total,
        page=_page(),
        per_page=PER_PAGE,
        filters=filters,
        counts=queries.status_counts(kind, user.org_id),
        views=queries.org_view_total(kind, user.org_id),
    )


@login_required
def export_my_listings(kind: str, fmt: str) -> ResponseReturnValue:
    user = require_user(current_user)
    filters = queries.ListingFilters.from_args(request.args)
    return _export(
        kind, queries.org_listings(kind, user.org_id, filters), fmt, f"my-{KIND_PATHS[kind]}"
    )


# -- attachments ---------------------------------------------------------------------------


@bp.route("/listings/<int:listing_id>/attachments", methods=["POST"])
@login_required
def upload_attachment(listing_id: int) -> ResponseReturnValue:
    listing = services.get_managed_listing(current_user, listing_id)
    form = AttachmentForm()
    if form.validate_on_submit():
        file = form.file.data
        if not file:
            flash(_("Choose a file to upload."), "danger")
        else:
            upload = Upload.read(
                file.filename, file.stream, current_app.config["ATTACHMENT_MAX_BYTES"]
            )
            try:
                add_listing_attachment(current_user, listing_id, upload)
            except ValidationError as error:
                flash("; ".join(error.fields.values()) or error.message, "danger")
                return _back(listing_id, listing.kind), 303
            flash(_("Attachment uploaded."), "success")
    return _back(listing_id, listing.kind)


@bp.route("/attachments/<int:attachment_id>")
def download_attachment(attachment_id: int) -> ResponseReturnValue:
    attachment = get_attachment_for(current_user, attachment_id)
    inline = attachment.content_type.startswith("image/")
    response = storage.file_response(attachment.stored_name, mimetype=attachment.content_type)
    response.headers["Content-Disposition"] = storage.content_disposition(
        attachment.original_name, as_attachment=not inline
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/attachments/<int:attachment_id>/delete", methods=["POST"])
@login_required
def remove_attachment(attachment_id: int) -> ResponseReturnValue:
    if not NoteForm().validate_on_submit():
        abort(400)
    listing_id = delete_attachment(current_user, attachment_id)
    listing = services.get_listing_for(current_user, listing_id)
    flash(_("Attachment removed."), "info")
    return _back(listing_id, listing.kind)


# -- challenges ----------------------------------------------------------------------------


@bp.route("/demands/<int:listing_id>/apply", methods=["POST"])
@login_required
def apply(listing_id: int) -> ResponseReturnValue:
    listing = services.get_listing_for(current_user, listing_id, "demand")
    form = ApplicationForm()
    if form.validate_on_submit():
        file = form.attachment.data
        upload = (
            Upload.read(file.filename, file.stream, current_app.config["ATTACHMENT_MAX_BYTES"])
            if file and file.filename
            else None
        )
        data = challenges.ApplicationInput(
            summary=form.summary.data or "",
            team=form.team.data or "",
            plan=form.plan.data or "",
            requested_amount=form.requested_amount.data,
            attachment=upload,
        )
        try:
            challenges.apply_to_challenge(current_user, listing_id, data)
        except ValidationError as error:
            apply_errors(form, error)
        except DomainError as error:
            flash(error.message, "danger")
            return _back(listing_id, "demand")
        else:
            flash(_("Your application was submitted."), "success")
            return _back(listing_id, "demand")
    context = {
        "listing": listing,
        "kind": "demand",
        "can_manage": services.can_manage(current_user, listing),
        "view_count": listing.view_count,
        "events": [],
        "attachment_form": AttachmentForm(),
        "note_form": NoteForm(),
        "review_form": ReviewForm(),
        "missing": {},
    }
    context.update(_challenge_context(listing, form))
    return render_template("listings/detail.html", **context), 422


@bp.route("/applications/<int:application_id>/<any(decide, withdraw):action>", methods=["POST"])
@login_required
def application_action(application_id: int, action: str) -> ResponseReturnValue:
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if action == "decide":
            application = challenges.decide_application(
                current_user,
                application_id,
                form.decision.data or "",
                form.reason_code.data or "",
                form.note.data or "",
            )
            flash(_("Decision saved; the applicant has been notified."), "success")
        else:
            application = challenges.withdraw_application(current_user, application_id)
            flash(_("Application withdrawn."), "info")
            return redirect(url_for("listings.my_applications"))
    except ValidationError as error:
        flash("; ".join(error.fields.values()) or error.message, "danger")
        return redirect(request.referrer or url_for("main.index"))
    except DomainError as error:
        if error.status == 404:
            raise
        flash(error.message, "danger")
        return redirect(request.referrer or url_for("main.index"))
    return redirect(
        url_for("listings.demand_detail", listing_id=application.demand_id) + "#applications"
    )


@bp.route("/my/applications")
@login_required
def my_applications() -> ResponseReturnValue:
    items = challenges.my_applications(current_user)
    return render_template(
        "listings/my_applications.html",
        items=items,
        counts={item.demand_id: challenges.challenge_counts(item.demand_id) for item in items},
        decision_form=DecisionForm(),
        APPLICATION_STATUSES=APPLICATION_STATUSES,
        APPLICATION_REASONS=APPLICATION_REASONS,
    )


for _kind in KIND_PATHS:
    _register_kind_routes(_kind)
