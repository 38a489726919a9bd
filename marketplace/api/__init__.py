"""The JSON API at /api/v1 (flask-smorest: validated input, OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from marketplace.api.auth import load_api_user


class MarketplaceApi(Api):
    # Errors are rendered by marketplace.errors in the SPEC's {"error": {...}} shape.
    def _register_error_handlers(self) -> None:
        return None


def init_api(app: Flask) -> Api:
    from marketplace.api import auth, contracts, deals, jobs, listings, search, stats
    from marketplace.extensions import csrf

    app.config.setdefault("API_TITLE", "Technology-transfer marketplace API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = MarketplaceApi(app, spec_kwargs={
        "components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearerAuth": []}, {}],
    })
    for blueprint in (auth.blp, jobs.blp, listings.blp, search.blp, deals.blp,
                      contracts.blp, stats.blp):
        # Bearer tokens cannot be sent cross-site by a browser, so CSRF tokens are not needed.
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    app.before_request(load_api_user)
    app.extensions["marketplace_api"] = api
    return api
