"""Account use cases: registration, sign-in sessions, passwords, API tokens, administration."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from stdnum.cn import uscc

from marketplace.accounts.models import ApiToken, LoginSession, Organisation, User
from marketplace.accounts.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from marketplace.accounts.permissions import require_role, require_user
from marketplace.database import utcnow
from marketplace.errors import Conflict, NotFound, PermissionDenied, Unauthorized, ValidationError
from marketplace.extensions import db
from marketplace.notifications.services import notify
from marketplace.vocab import ORG_KINDS, ROLE_ORG_KINDS, ROLES, is_region

SELF_SERVICE_ROLES = ("researcher", "enterprise")


@dataclass(frozen=True)
class NewOrganisation:
    name: str
    kind: str
    region: str | None = None
    credit_code: str | None = None


@dataclass(frozen=True)
class Registration:
    email: str
    password: str
    role: str
    name: str = ""
    org_id: int | None = None
    new_org: NewOrganisation | None = None
    locale: str | None = None


# -- validation helpers -------------------------------------------------------------------


def normalise_email(email: str) -> str:
    """Lower-cased, syntax-checked address (no DNS look-up: the platform may run offline)."""
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError(fields={"email": _("Enter a valid e-mail address.")}) from None
    return result.normalized.lower()


def check_password_strength(password: str, field: str = "password") -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationError(fields={field: _("Use at least %(n)d characters.", n=MIN_LENGTH)})
    if len(password) > 512:
        raise ValidationError(fields={field: _("That password is too long.")})


def normalise_credit_code(code: str | None) -> str | None:
    """A valid 18-character unified social credit code (GB 32100-2015), or None if empty."""
    if code is None or not code.strip():
        return None
    compact = uscc.compact(code)
    if not uscc.is_valid(compact):
        raise ValidationError(
            fields={
                "credit_code": _(
                    "This is not a valid unified social credit code "
                    "(18 characters with a check character)."
                )
            }
        )
    return compact


def _validate_org(data: NewOrganisation) -> NewOrganisation:
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["org_name"] = _("Enter the organisation's name.")
    elif len(name) > 200:
        errors["org_name"] = _("The name is too long.")
    if data.kind not in ORG_KINDS:
        errors["org_kind"] = _("Choose an organisation type.")
    if data.region and not is_region(data.region):
        errors["region"] = _("Choose a region from the list.")
    credit_code = None
    try:
        credit_code = normalise_credit_code(data.credit_code)
    except ValidationError as error:
        errors.update(error.fields)
    if errors:
        raise ValidationError(fields=errors)
    if db.session.execute(sa.select(Organisation.id).where(Organisation.name == name)).first():
        raise ValidationError(
            fields={
                "org_name": _(
                    "An organisation with this name exists already; ask to join it instead."
                )
            }
        )
    if (
        credit_code
        and db.session.execute(
            sa.select(Organisation.id).where(Organisation.credit_code == credit_code)
        ).first()
    ):
        raise ValidationError(fields={"credit_code": _("This credit code is registered already.")})
    return NewOrganisation(
        name=name, kind=data.kind, region=data.region or None, credit_code=credit_code
    )


def _email_taken(email: str) -> bool:
    return db.session.execute(sa.select(User.id).where(User.email == email)).first() is not None


def get_or_create_organisation(
    name: str, kind: str, region: str | None = None, verified: bool = False
) -> Organisation:
    org = db.session.execute(sa.select(Organisation).where(Organisation.name == name)).scalar()
    if org is None:
        data = _validate_org(NewOrganisation(name=name, kind=kind, region=region))
        org = Organisation(
            name=data.name,
            kind=data.kind,
            region=data.region,
            verified=verified,
            verified_at=utcnow() if verified else None,
        )
        db.session.add(org)
        db.session.flush()
    return org


# -- registration and administration -------------------------------------------------------


def register_user(data: Registration) -> User:
    """Self-service sign-up of a researcher or enterprise user.

    A user creating a new organisation can start at once (the organisation awaits
    verification); one joining an existing organisation waits until an admin activates them.
    """
    email = normalise_email(data.email)
    errors: dict[str, str] = {}
    if data.role not in SELF_SERVICE_ROLES:
        errors["role"] = _("Choose researcher or enterprise.")
    try:
        check_password_strength(data.password)
    except ValidationError as error:
        errors.update(error.fields)
    if len(data.name) > 100:
        errors["name"] = _("The name is too long.")
    if _email_taken(email):
        errors["email"] = _("An account with this e-mail address exists already.")
    if (data.org_id is None) == (data.new_org is None):
        errors["org_id"] = _("Join an existing organisation or create a new one.")
    if errors:
        raise ValidationError(fields=errors)

    allowed_kinds = ROLE_ORG_KINDS[data.role]
    if data.new_org is not None:
        org_data = _validate_org(data.new_org)
        if org_data.kind not in allowed_kinds:
            raise ValidationError(
                fields={"org_kind": _("This type of organisation does not fit the chosen role.")}
            )
        org = Organisation(
            name=org_data.name,
            kind=org_data.kind,
            region=org_data.region,
            credit_code=org_data.credit_code,
            verified=False,
        )
        db.session.add(org)
        active = True
    else:
        existing = db.session.get(Organisation, data.org_id)
        if existing is None:
            raise ValidationError(fields={"org_id": _("Choose an organisation from the list.")})
        if existing.kind not in allowed_kinds:
            raise ValidationError(
                fields={"org_id": _("This type of organisation does not fit the chosen role.")}
            )
        org = existing
        active = False

    user = User(
        email=email,
        password_hash=hash_password(data.password),
        role=data.role,
        name=data.name.strip(),
        org=org,
        active=active,
        locale=data.locale,
    )
    db.session.add(user)
    db.session.flush()
    if not active:
        notify(
            kind="join_request",
            params={"email": email, "org": org.name},
            roles=["admin"],
            link="/admin/users?status=inactive",
        )
    db.session.commit()
    return user


def create_user(
    *,
    email: str,
    password: str,
    role: str,
    org_name: str,
    org_kind: str,
    region: str | None = None,
    name: str = "",
    actor: User | None = None,
    verify_org: bool = True,
) -> User:
    """Create any user (brokers and admins included); used by admins and the CLI.

    ``actor`` is None only for the command line, which runs with the operator's authority.
    """
    if actor is not None:
        require_role(actor, "admin")
    email = normalise_email(email)
    errors: dict[str, str] = {}
    if role not in ROLES:
        errors["role"] = _("Unknown role.")
    try:
        check_password_strength(password)
    except ValidationError as error:
        errors.update(error.fields)
    if _email_taken(email):
        errors["email"] = _("An account with this e-mail address exists already.")
    if org_kind not in ORG_KINDS:
        errors["org_kind"] = _("Choose an organisation type.")
    if region and not is_region(region):
        errors["region"] = _("Choose a region from the list.")
    if errors:
        raise ValidationError(fields=errors)
    org = get_or_create_organisation(org_name.strip(), org_kind, region, verified=verify_org)
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        name=name,
        org=org,
        active=True,
    )
    db.session.add(user)
    db.session.commit()
    return user


def verify_organisation(actor: User, org_id: int, verified: bool = True) -> Organisation:
    require_role(actor, "admin")
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound()
    if org.verified != verified:
        org.verified = verified
        org.verified_at = utcnow() if verified else None
        if verified:
            notify(kind="org_verified", params={"org": org.name}, org_ids=[org.id], link="/account")
    db.session.commit()
    return org


def set_user_active(actor: User, user_id: int, active: bool) -> User:
    require_role(actor, "admin")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    if user.id == actor.id and not active:
        raise Conflict(_("You cannot deactivate your own account."))
    if user.active != active:
        user.active = active
        if active:
            notify(kind="user_activated", params={}, user_ids=[user.id], link="/account")
        else:
            _revoke_all_sessions(user.id)
            _revoke_all_tokens(user.id)
    db.session.commit()
    return user


def change_role(actor: User, user_id: int, role: str) -> User:
    require_role(actor, "admin")
    if role not in ROLES:
        raise ValidationError(fields={"role": _("Unknown role.")})
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    if user.id == actor.id:
        raise Conflict(_("You cannot change your own role."))
    if user.role != role:
        user.role = role
        notify(kind="role_changed", params={"role": role}, user_ids=[user.id])
    db.session.commit()
    return user


def update_profile(actor: User, *, name: str, phone: str | None, locale: str | None) -> User:
    user = require_user(actor)
    errors: dict[str, str] = {}
    if len(name) > 100:
        errors["name"] = _("The name is too long.")
    if phone and len(phone) > 40:
        errors["phone"] = _("The phone number is too long.")
    if locale not in (None, "", "zh_CN", "en"):
        errors["locale"] = _("Unknown language.")
    if errors:
        raise ValidationError(fields=errors)
    user.name = name.strip()
    user.phone = (phone or "").strip() or None
    user.locale = locale or None
    db.session.commit()
    return user


# -- authentication, sessions, passwords ---------------------------------------------------


def authenticate(email: str, password: str) -> User:
    """The active user with these credentials; one generic error for every failure."""
    try:
        address = normalise_email(email)
    except ValidationError:
        address = ""
    user = (
        db.session.execute(sa.select(User).where(User.email == address)).scalar()
        if address
        else None
    )
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None:
        raise Unauthorized(_("Wrong e-mail address or password."), code="invalid_credentials")
    if not user.active:
        raise Unauthorized(
            _("This account is not active yet or has been deactivated."), code="inactive_account"
        )
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def start_login_session(user: User, *, user_agent: str = "", ip_address: str = "") -> LoginSession:
    session = LoginSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        user_agent=user_agent[:300],
        ip_address=ip_address[:64],
    )
    db.session.add(session)
    user.last_login_at = utcnow()
    db.session.commit()
    user.login_session_id = session.id
    return session


def user_for_login_session(session_id: str) -> User | None:
    """The user of a live sign-in session (the Flask-Login user loader)."""
    row = db.session.get(LoginSession, session_id)
    if row is None or row.revoked_at is not None:
        return None
    user = row.user
    if not user.active:
        return None
    user.login_session_id = row.id
    return user


def end_login_session(session_id: str | None) -> None:
    if not session_id:
        return
    row = db.session.get(LoginSession, session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()


def _revoke_all_sessions(user_id: int, keep: str | None = None) -> None:
    query = sa.update(LoginSession).where(
        LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None)
    )
    if keep:
        query = query.where(LoginSession.id != keep)
    db.session.execute(query.values(revoked_at=utcnow()))


def _revoke_all_tokens(user_id: int) -> None:
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def change_password(actor: User, *, current: str, new: str) -> LoginSession | None:
    """Change the password and sign out every session; returns a fresh session for the caller."""
    user = require_user(actor)
    if not verify_password(user.password_hash, current):
        raise ValidationError(fields={"current_password": _("The current password is wrong.")})
    check_password_strength(new, field="new_password")
    user.password_hash = hash_password(new)
    _revoke_all_sessions(user.id)
    notify(kind="password_changed", params={}, user_ids=[user.id])
    db.session.commit()
    if actor.login_session_id:
        return start_login_session(user)
    return None


def list_login_sessions(actor: User) -> list[LoginSession]:
    user = require_user(actor)
    return list(
        db.session.execute(
            sa.select(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
            .order_by(LoginSession.created_at.desc())
        ).scalars()
    )


# -- API tokens -----------------------------------------------------------------------------

TOKEN_PREFIX = "mkt_"  # noqa: S105  (a marker that makes leaked tokens greppable)


def _token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new bearer token for ``user``; the raw token is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name.strip()[:100], token_hash=_token_digest(raw), prefix=raw[:12]
    )
    db.session.add(token)
    db.session.commit()
    return token, raw


def user_for_token(raw: str) -> User | None:
    if not raw or len(raw) > 200:
        return None
    token = db.session.execute(
        sa.select(ApiToken).where(ApiToken.token_hash == _token_digest(raw))
    ).scalar()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = utcnow()
    # Touch at most once a minute so reads do not turn every API call into a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
        db.session.commit()
    return token.user


def list_tokens(actor: User) -> list[ApiToken]:
    user = require_user(actor)
    return list(
        db.session.execute(
            sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        ).scalars()
    )


def revoke_token(actor: User, token_id: int) -> ApiToken:
    user = require_user(actor)
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound()
    if token.user_id != user.id and user.role != "admin":
        raise PermissionDenied()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return token


def revoke_token_by_value(actor: User, raw: str) -> ApiToken:
    """Revoke the token whose value the caller presents (``DELETE /api/v1/auth/token``)."""
    token = db.session.execute(
        sa.select(ApiToken).where(ApiToken.token_hash == _token_digest(raw))
    ).scalar()
    if token is None:
        raise NotFound()
    return revoke_token(actor, token.id)
