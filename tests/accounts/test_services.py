"""Account use cases without HTTP."""

import pytest
import sqlalchemy as sa

from marketplace.accounts import services
from marketplace.accounts.models import Organisation, User
from marketplace.errors import Conflict, PermissionDenied, Unauthorized, ValidationError
from marketplace.extensions import db
from marketplace.outbox import OutboxMessage
from tests.factories import PASSWORD, OrganisationFactory, UserFactory

VALID_CREDIT_CODE = "91110000600037341L"


def registration(**overrides):
    data = {
        "email": "Li.Ming@Example.CN",
        "password": "a-long-password",
        "role": "researcher",
        "name": "李明",
        "new_org": services.NewOrganisation(
            name="浙江示范大学", kind="university", region="330100"
        ),
    }
    data.update(overrides)
    return services.Registration(**data)


def test_register_with_new_organisation_is_active_and_org_unverified(app):
    user = services.register_user(registration())
    assert user.active
    assert user.email == "li.ming@example.cn"
    assert user.password_hash.startswith("$argon2id$")
    assert user.org.name == "浙江示范大学"
    assert not user.org.verified


def test_email_is_unique_ignoring_case(app):
    services.register_user(registration())
    with pytest.raises(ValidationError) as error:
        services.register_user(
            registration(
                email="LI.MING@example.cn",
                new_org=services.NewOrganisation("另一大学", "university"),
            )
        )
    assert "email" in error.value.fields


def test_joining_an_existing_organisation_waits_for_an_admin(app):
    org = OrganisationFactory(kind="enterprise")
    user = services.register_user(registration(role="enterprise", new_org=None, org_id=org.id))
    assert not user.active
    with pytest.raises(Unauthorized):
        services.authenticate(user.email, "a-long-password")
    topics = db.session.execute(sa.select(OutboxMessage.payload)).scalars().all()
    assert any(p["kind"] == "join_request" and p["roles"] == ["admin"] for p in topics)


def test_self_registration_cannot_create_admins_or_mismatched_organisations(app):
    with pytest.raises(ValidationError) as error:
        services.register_user(registration(role="admin"))
    assert "role" in error.value.fields
    with pytest.raises(ValidationError) as error:
        services.register_user(
            registration(
                role="enterprise", new_org=services.NewOrganisation("某大学", "university")
            )
        )
    assert "org_kind" in error.value.fields
    assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 0


@pytest.mark.parametrize(
    "code, valid",
    [
        (VALID_CREDIT_CODE, True),
        ("91110000600037341l", True),  # lower-case input is normalised
        ("91110000600037341X", False),  # wrong check character
        ("9111000060003734", False),  # too short
        ("I1110000600037341L", False),  # letter not in the code alphabet
    ],
)
def test_unified_social_credit_code_is_checked(app, code, valid):
    if valid:
        assert services.normalise_credit_code(code) == VALID_CREDIT_CODE
    else:
        with pytest.raises(ValidationError) as error:
            services.normalise_credit_code(code)
        assert "credit_code" in error.value.fields


def test_registration_rejects_invalid_credit_code_and_stores_nothing(app):
    with pytest.raises(ValidationError) as error:
        services.register_user(
            registration(
                new_org=services.NewOrganisation(
                    "某大学", "university", credit_code="91110000600037341X"
                )
            )
        )
    assert "credit_code" in error.value.fields
    count = sa.select(sa.func.count()).select_from(Organisation)
    assert db.session.execute(count).scalar_one() == 0


def test_authenticate_gives_one_message_for_unknown_email_and_wrong_password(app):
    user = UserFactory()
    with pytest.raises(Unauthorized) as unknown:
        services.authenticate("nobody@example.cn", PASSWORD)
    with pytest.raises(Unauthorized) as wrong:
        services.authenticate(user.email, "wrong-password")
    assert unknown.value.message == wrong.value.message
    assert services.authenticate(user.email.upper(), PASSWORD).id == user.id


def test_password_change_revokes_every_session(app):
    user = UserFactory()
    first = services.start_login_session(user)
    second = services.start_login_session(user)
    user.login_session_id = first.id
    fresh = services.change_password(user, current=PASSWORD, new="another-long-password")
    assert services.user_for_login_session(first.id) is None
    assert services.user_for_login_session(second.id) is None
    assert services.user_for_login_session(fresh.id).id == user.id
    with pytest.raises(ValidationError):
        services.change_password(user, current="wrong", new="yet-another-password")


def test_tokens_are_stored_hashed_and_revocable(app):
    user = UserFactory()
    token, raw = services.issue_token(user, "script")
    assert raw not in token.token_hash
    assert services.user_for_token(raw).id == user.id
    services.revoke_token(user, token.id)
    assert services.user_for_token(raw) is None


def test_only_the_owner_or_an_admin_revokes_a_token(app):
    owner, other = UserFactory(), UserFactory()
    token, _raw = services.issue_token(owner)
    with pytest.raises(PermissionDenied):
        services.revoke_token(other, token.id)


def test_admin_operations_need_the_admin_role(app):
    admin = UserFactory(role="admin")
    broker = UserFactory(role="broker")
    org = OrganisationFactory(verified=False)
    with pytest.raises(PermissionDenied):
        services.verify_organisation(broker, org.id)
    assert services.verify_organisation(admin, org.id).verified
    target = UserFactory()
    with pytest.raises(PermissionDenied):
        services.change_role(broker, target.id, "admin")
    assert services.change_role(admin, target.id, "broker").role == "broker"
    with pytest.raises(Conflict):
        services.set_user_active(admin, admin.id, False)


def test_deactivating_a_user_ends_their_sessions_and_tokens(app):
    admin, user = UserFactory(role="admin"), UserFactory()
    session = services.start_login_session(user)
    _token, raw = services.issue_token(user)
    services.set_user_active(admin, user.id, False)
    assert services.user_for_login_session(session.id) is None
    assert services.user_for_token(raw) is None


def test_create_user_command_path_creates_org_and_user(app):
    user = services.create_user(
        email="a@x.cn",
        password="long-enough-1",
        role="admin",
        org_name="科技局",
        org_kind="government",
    )
    assert user.org.kind == "government" and user.org.verified
    with pytest.raises(ValidationError) as error:
        services.create_user(
            email="b@x.cn",
            password="short",
            role="wizard",
            org_name="X",
            org_kind="planet",
            region="999999",
        )
    assert {"password", "role", "org_kind", "region"} <= set(error.value.fields)
