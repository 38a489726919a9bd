"""The JSON API at /api/v1 (flask-smorest: validated input, OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from flask import Flask, Response
from flask_smorest import Api, Blueprint
from werkzeug.exceptions import HTTPException

from marketplace.api.auth import load_api_user
from marketplace.api.common import ErrorSchema, MoneyField
from marketplace.errors import render_http_error
from marketplace.extensions import csrf


class MarketplaceApi(Api):
    """flask-smorest with the project's error body, documented and rendered."""

    # Every documented error response (the shared components and "default") carries the
    # SPEC body {"error": {"code", "message", "fields"?}}.
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException) -> Any:
        # flask-smorest registers this for HTTPException: render as every other error is.
        response: tuple[Response | str, int] = render_http_error(error)
        return response

    def register_documented_elsewhere(self, blp: Blueprint, **options: Any) -> None:
        """Register ``blp``'s routes, as ``register_blueprint`` does, without documenting them:
        for an app that takes a document already built (``init_api``)."""
        self._app.extensions["flask-smorest"]["blp_name_to_api"][options.get("name", blp.name)] = (
            self
        )
        self._app.register_blueprint(blp, **options)


# The OpenAPI document follows from the code and the API_* / OPENAPI_* settings only, and
# building it is more than half of building an app (apispec converts every schema of every
# route). Production builds one app per process; the test suite builds one per test, so the
# document is built once per process and settings, and later apps serve the same one.
_DOCUMENTS: dict[tuple[str, ...], APISpec] = {}


def _document_key(app: Flask) -> tuple[str, ...]:
    return tuple(
        sorted(
            f"{key}={value!r}"
            for key, value in app.config.items()
            if key.startswith(("API_", "OPENAPI_"))
        )
    )


def init_api(app: Flask) -> Api:
    # Imported when the app is built, not with this package: its __init__ runs for every
    # ``marketplace.api.<module>`` import, which must not load every other API module.
    from marketplace.api import (
        auth,
        contracts,
        deals,
        events,
        experts,
        instruments,
        jobs,
        listings,
        lots,
        rankings,
        registrations,
        search,
        stats,
        vouchers,
    )

    app.config.setdefault("API_TITLE", "Technology-transfer marketplace API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = MarketplaceApi(
        app,
        spec_kwargs={
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}, {}],
        },
    )
    key = _document_key(app)
    document = _DOCUMENTS.get(key)
    if document is None:
        api.register_field(MoneyField, "string", "decimal")
    else:
        api.spec = document
    for blueprint in (
        auth.blp,
        jobs.blp,
        listings.blp,
        search.blp,
        deals.blp,
        contracts.blp,
        stats.blp,
        registrations.blp,
        lots.blp,
        instruments.blp,
        vouchers.blp,
        rankings.blp,
        experts.blp,
        events.blp,
    ):
        # Bearer tokens cannot be sent cross-site by a browser, so CSRF tokens are not needed.
        csrf.exempt(blueprint)
        if document is None:
            api.register_blueprint(blueprint, url_prefix="/api/v1")
        else:
            api.register_documented_elsewhere(blueprint, url_prefix="/api/v1")
    _DOCUMENTS.setdefault(key, api.spec)
    app.before_request(load_api_user)
    app.extensions["marketplace_api"] = api
    return api
