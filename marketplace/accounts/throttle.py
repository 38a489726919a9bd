"""Sign-in throttling per account and per client address (counters shared through storage)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask_limiter.util import get_remote_address

from marketplace.extensions import limiter


def _submitted_email() -> str:
    if request.is_json:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    else:
        email = request.form.get("email")
    return str(email or "").strip().lower()[:254]


def _account_key() -> str:
    return "login-account:" + _submitted_email()


def _failed(response: Any) -> bool:
    # Only failed attempts count: a successful web sign-in redirects, a token request is 200.
    return response.status_code not in (200, 201, 302, 303) or (
        request.method == "POST" and response.status_code == 200 and not request.is_json
    )


def login_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    """Apply the per-account and per-address limits to a sign-in endpoint (POST only).

    The limits are *shared*: every door that takes a password (the web form, the API token
    endpoint) counts into the same per-account and per-address buckets, so a guesser gets the
    documented number of tries in all, not that number per door.
    """
    per_account = limiter.shared_limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
        scope="login-account",
        key_func=_account_key,
        methods=["POST"],
        deduct_when=_failed,
    )
    per_address = limiter.shared_limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
        scope="login-address",
        key_func=get_remote_address,
        methods=["POST"],
        deduct_when=_failed,
    )
    return per_account(per_address(view))
