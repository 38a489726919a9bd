"""Sign-in, registration, profile, API tokens and the admin pages for users and organisations."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace.accounts import queries, services
from marketplace.accounts.forms import (
    AdminUserForm,
    ConfirmForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    RegistrationForm,
    RoleForm,
    TokenForm,
)
from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import require_role
from marketplace.accounts.throttle import login_limits
from marketplace.errors import DomainError, Unauthorized, ValidationError
from marketplace.extensions import db
from marketplace.formtools import apply_errors, submit_once
from marketplace.pagination import page_arg, paginate

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an absolute or scheme-relative URL would be an open redirect.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
        and "\\" not in target
    ):
        return target
    # Without a page to go back to, people land on their own workspace.
    return url_for("workspace.home")


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("workspace.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data or "", form.password.data or "")
        except Unauthorized as error:
            form.password.errors = [error.message]
            return render_template("accounts/login.html", form=form), 200
        services.start_login_session(
            user, user_agent=request.user_agent.string or "", ip_address=request.remote_addr or ""
        )
        login_user(user, remember=bool(form.remember.data))
        flash(_("Welcome, %(name)s.", name=user.display_name), "success")
        return redirect(_safe_next(form.next.data))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    form = ConfirmForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        services.end_login_session(current_user.get_id())
        logout_user()
        flash(_("You have been signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegistrationForm()
    orgs = (
        db.session.execute(
            sa.select(Organisation)
            .where(Organisation.kind.in_(("university", "institute", "enterprise")))
            .order_by(Organisation.name)
        )
        .scalars()
        .all()
    )
    form.org_id.choices = [(0, "—")] + [(org.id, org.name) for org in orgs]
    if form.validate_on_submit():
        joining = form.org_mode.data == "join"
        data = services.Registration(
            email=form.email.data or "",
            password=form.password.data or "",
            role=form.role.data or "",
            name=form.name.data or "",
            org_id=(form.org_id.data or None) if joining else None,
            new_org=None
            if joining
            else services.NewOrganisation(
                name=form.org_name.data or "",
                kind=form.org_kind.data or "",
                region=form.region.data or None,
                credit_code=form.credit_code.data or None,
            ),
            locale=request.args.get("lang") or None,
        )
        try:
            user = services.register_user(data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if user.active:
                services.start_login_session(
                    user,
                    user_agent=request.user_agent.string or "",
                    ip_address=request.remote_addr or "",
                )
                login_user(user)
                flash(
                    _(
                        "Your account is ready. Your organisation will be verified by an "
                        "administrator."
                    ),
                    "success",
                )
                return redirect(url_for("workspace.home"))
            flash(
                _(
                    "Thank you. An administrator will activate your account once your "
                    "organisation confirms you."
                ),
                "info",
            )
            return redirect(url_for("accounts.login"))
    return render_template("accounts/register.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile() -> ResponseReturnValue:
    form = ProfileForm(obj=current_user, prefix="profile")
    if request.method == "GET":
        form.locale.data = current_user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    if form.submit.data and form.validate_on_submit():
        try:
            services.update_profile(
                current_user,
                name=form.name.data or "",
                phone=form.phone.data,
                locale=form.locale.data,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            from flask import session

            session.pop("locale", None)
            flash(_("Profile saved."), "success")
            return redirect(url_for("accounts.profile"))
    return _render_profile(profile_form=form)


def _render_profile(**forms: object) -> str:
    context = {
        "profile_form": ProfileForm(obj=current_user, prefix="profile"),
        "password_form": PasswordChangeForm(prefix="pw"),
        "token_form": TokenForm(prefix="token"),
        "confirm_form": ConfirmForm(),
        "tokens": services.list_tokens(current_user),
        "login_sessions": services.list_login_sessions(current_user),
        "new_token": None,
    }
    context.update(forms)
    return render_template("accounts/profile.html", **context)


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password() -> ResponseReturnValue:
    form = PasswordChangeForm(prefix="pw")
    if form.validate_on_submit():
        try:
            fresh = services.change_password(
                current_user,
                current=form.current_password.data or "",
                new=form.new_password.data or "",
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            user = db.session.get(User, current_user.id)
            logout_user()
            if fresh is not None and user is not None:
                user.login_session_id = fresh.id
                login_user(user)
            flash(_("Password changed. Every other session has been signed out."), "success")
            return redirect(url_for("accounts.profile"))
    return _render_profile(password_form=form), 422


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_token() -> ResponseReturnValue:
    form = TokenForm(prefix="token")
    if form.validate_on_submit():
        _token, raw = services.issue_token(current_user, form.name.data or "")
        flash(_("Copy this token now; it will not be shown again."), "warning")
        return _render_profile(new_token=raw)
    return _render_profile(token_form=form), 422


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    if ConfirmForm().validate_on_submit():
        services.revoke_token(current_user, token_id)
        flash(_("The token has been revoked."), "info")
    return redirect(url_for("accounts.profile"))


# -- administration ----------------------------------------------------------------------

ADMIN_PER_PAGE = 50


@bp.route("/admin/organisations")
@login_required
def admin_organisations() -> ResponseReturnValue:
    require_role(current_user, "admin")
    status = request.args.get("status", "unverified")
    page = page_arg()
    found = paginate(queries.organisations_for_admin(status), page, ADMIN_PER_PAGE)
    return render_template(
        "accounts/admin_organisations.html",
        orgs=found.items,
        status=status,
        confirm_form=ConfirmForm(),
        page=page,
        per_page=ADMIN_PER_PAGE,
        total=found.total,
    )


@bp.route("/admin/organisations/<int:org_id>/verify", methods=["POST"])
@login_required
def admin_verify_organisation(org_id: int) -> ResponseReturnValue:
    require_role(current_user, "admin")
    if ConfirmForm().validate_on_submit():
        verified = request.form.get("verified", "1") == "1"
        org = services.verify_organisation(current_user, org_id, verified)
        flash(
            _("%(org)s is verified.", org=org.name)
            if verified
            else _("%(org)s is no longer verified.", org=org.name),
            "success",
        )
    return redirect(url_for("accounts.admin_organisations"))


@bp.route("/admin/users")
@login_required
def admin_users() -> ResponseReturnValue:
    require_role(current_user, "admin")
    status = request.args.get("status", "all")
    q = (request.args.get("q") or "").strip()
    page = page_arg()
    found = paginate(queries.users_for_admin(status, q), page, ADMIN_PER_PAGE)
    return render_template(
        "accounts/admin_users.html",
        users=found.items,
        status=status,
        q=q,
        confirm_form=ConfirmForm(),
        role_form=RoleForm(),
        page=page,
        per_page=ADMIN_PER_PAGE,
        total=found.total,
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@login_required
def admin_create_user() -> ResponseReturnValue:
    require_role(current_user, "admin")
    form = AdminUserForm()
    if form.validate_on_submit():
        try:
            user_id = submit_once(
                current_user.id,
                form,
                "user",
                lambda: services.create_user(
                    email=form.email.data or "",
                    password=form.password.data or "",
                    role=form.role.data or "",
                    org_name=form.org_name.data or "",
                    org_kind=form.org_kind.data or "",
                    region=form.region.data or None,
                    name=form.name.data or "",
                    actor=current_user,
                ),
                saved=_("User created."),
                repeated=_("This form had already been sent; here is the user it created."),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            # There is no page per user: the list, narrowed to the new user's address.
            user = db.session.get(User, user_id)
            return redirect(url_for("accounts.admin_users", q=user.email if user else None))
    return render_template("accounts/admin_user_new.html", form=form)


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@login_required
def admin_set_active(user_id: int) -> ResponseReturnValue:
    require_role(current_user, "admin")
    if ConfirmForm().validate_on_submit():
        active = request.form.get("active") == "1"
        try:
            services.set_user_active(current_user, user_id, active)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            flash(_("Account activated.") if active else _("Account deactivated."), "success")
    return redirect(url_for("accounts.admin_users"))


@bp.route("/admin/users/<int:user_id>/role", methods=["POST"])
@login_required
def admin_change_role(user_id: int) -> ResponseReturnValue:
    require_role(current_user, "admin")
    form = RoleForm()
    if form.validate_on_submit():
        try:
            services.change_role(current_user, user_id, form.role.data or "")
        except DomainError as error:
            flash(error.message, "danger")
        else:
            flash(_("Role changed."), "success")
    return redirect(url_for("accounts.admin_users"))
