"""Password hashing with Argon2id (argon2-cffi; production uses its RFC 9106 defaults)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

MIN_LENGTH = 8


@cache
def _hasher(time_cost: int | None, memory_cost: int | None) -> PasswordHasher:
    if time_cost is None or memory_cost is None:
        return PasswordHasher()
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)


def hasher() -> PasswordHasher:
    # The test suite configures cheap parameters; every other environment gets the defaults.
    params = current_app.config.get("ARGON2_PARAMS") if has_app_context() else None
    if params:
        return _hasher(params["time_cost"], params["memory_cost"])
    return _hasher(None, None)


@cache
def _dummy_hash(time_cost: int | None, memory_cost: int | None) -> str:
    return _hasher(time_cost, memory_cost).hash("not-a-real-password")


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    # Verifying against a dummy hash when the e-mail is unknown keeps the response time the
    # same, so timing does not reveal which addresses have accounts.
    current = hasher()
    target = password_hash or _dummy_hash(current.time_cost, current.memory_cost)
    try:
        return current.verify(target, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)
