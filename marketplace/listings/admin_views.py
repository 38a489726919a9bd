"""The administrators' review queue, and bulk import pages (owners and administrators)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.models import Organisation
from marketplace.accounts.permissions import is_admin, require_role, require_user
from marketplace.errors import DomainError, ValidationError
from marketplace.extensions import db
from marketplace.formtools import apply_errors
from marketplace.jobs.services import get_job_for
from marketplace.listings import queries, services
from marketplace.listings.forms import ImportForm, ReviewForm
from marketplace.listings.import_jobs import JOB_KIND, WebImport, start_web_import
from marketplace.listings.views import PER_PAGE, _export, _page

bp = Blueprint("listings_admin", __name__)


@bp.route("/admin/listings")
@login_required
def review_queue() -> ResponseReturnValue:
    require_role(current_user, "admin")
    kind = (
        request.args.get("kind") if request.args.get("kind") in ("achievement", "demand") else None
    )
    filters = queries.ListingFilters.from_args(request.args)
    items, total = queries.page_of(queries.review_queue(kind, filters), _page(), PER_PAGE)
    return render_template(
        "listings/review_queue.html",
        items=items,
        total=total,
        page=_page(),
        per_page=PER_PAGE,
        kind=kind,
        filters=filters,
        status=filters.status or "pending",
        counts={k: queries.status_counts(k) for k in ("achievement", "demand")},
        review_form=ReviewForm(),
    )


@bp.route("/admin/listings/export.<fmt>")
@login_required
def export_queue(fmt: str) -> ResponseReturnValue:
    require_role(current_user, "admin")
    kind = request.args.get("kind")
    if kind not in ("achievement", "demand"):
        abort(404)
    filters = queries.ListingFilters.from_args(request.args)
    return _export(kind, queries.filtered(kind, filters), fmt, f"{kind}s")


@bp.route("/admin/listings/<int:listing_id>/review", methods=["POST"])
@login_required
def review(listing_id: int) -> ResponseReturnValue:
    require_role(current_user, "admin")
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        listing = services.review_listing(
            current_user, listing_id, form.decision.data or "", form.reason.data or ""
        )
    except DomainError as error:
        flash(" ".join([error.message, *error.fields.values()]), "danger")
    else:
        flash(
            _(
                "“%(title)s” is now %(status)s.",
                title=listing.title,
                status=_("published") if listing.status == "published" else _("rejected"),
            ),
            "success",
        )
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("listings_admin.review_queue"))


@bp.route("/listings/import", methods=["GET", "POST"])
@login_required
def import_page() -> ResponseReturnValue:
    user = require_user(current_user)
    if not is_admin(user) and user.role not in ("researcher", "enterprise"):
        abort(403)
    form = ImportForm()
    if is_admin(user):
        orgs = db.session.execute(
            sa.select(Organisation.id, Organisation.name)
            .where(Organisation.kind.in_(("university", "institute", "enterprise")))
            .order_by(Organisation.name)
        ).all()
        form.org_id.choices = [("", "—"), *((str(o.id), o.name) for o in orgs)]
    else:
        form.kind.data = "achievement" if user.role == "researcher" else "demand"
        form.org_id.choices = [(str(user.org_id), user.org.name)]
        form.mode.choices = [choice for choice in form.mode.choices if choice[0] != "publish"]
    if form.validate_on_submit():
        file = form.file.data
        org = form.org_id.data
        data = WebImport(
            kind=form.kind.data or "",
            org_id=int(org) if org and str(org).isdigit() else None,
            filename=(file.filename if file else "") or "",
            data=file.read() if file else b"",
            mode=form.mode.data or "draft",
            skip_invalid=bool(form.skip_invalid.data),
            dry_run=bool(form.dry_run.data),
        )
        try:
            job = start_web_import(user, data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect(url_for("listings_admin.import_job", job_id=job.id))
    status = 422 if request.method == "POST" else 200
    return render_template("listings/import.html", form=form, is_admin=is_admin(user)), status


@bp.route("/listings/import/<int:job_id>")
@login_required
def import_job(job_id: int) -> ResponseReturnValue:
    job = get_job_for(current_user, job_id)
    if job.kind != JOB_KIND:
        abort(404)
    return render_template("listings/import_job.html", job=job)
