"""factory_boy factories for the models; every factory commits, so workers see the rows."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.passwords import hash_password
from marketplace.extensions import db

PASSWORD = "correct-horse-42"
_PASSWORD_HASH = hash_password(PASSWORD)  # Argon2 is slow on purpose; hash once per run.


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class OrganisationFactory(BaseFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = "enterprise"
    region = "330300"
    verified = True


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.cn")
    name = factory.Sequence(lambda n: f"用户{n}")
    password_hash = _PASSWORD_HASH
    role = "enterprise"
    active = True
    org = factory.SubFactory(
        OrganisationFactory,
        kind=factory.LazyAttribute(lambda o: {
            "researcher": "university", "enterprise": "enterprise", "broker": "agency",
            "admin": "government"}[o.factory_parent.role]),
    )
