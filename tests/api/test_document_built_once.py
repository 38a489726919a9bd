"""The OpenAPI document is built once per process and settings, and every later app serves it."""

from __future__ import annotations

import marketplace.api as api_package


def _document(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def test_a_later_app_serves_the_document_the_first_one_built(make_app, monkeypatch):
    monkeypatch.setattr(api_package, "_DOCUMENTS", {})
    first = make_app()
    later = make_app()

    assert later.extensions["marketplace_api"].spec is first.extensions["marketplace_api"].spec
    built, served = _document(first), _document(later)
    assert served == built
    assert "/api/v1/achievements" in served["paths"]
    # Money is documented as a decimal string on both (a field mapping only the first registered).
    schemas = served["components"]["schemas"]
    assert any(
        prop.get("format") == "decimal"
        for schema in schemas.values()
        for prop in schema.get("properties", {}).values()
    )
    # The later app's routes work without their own documentation pass.
    with later.app_context():
        response = later.test_client().get("/api/v1/search?q=x")
    assert response.status_code == 200, response.get_json()


def test_other_api_settings_get_a_document_of_their_own(make_app, monkeypatch):
    monkeypatch.setattr(api_package, "_DOCUMENTS", {})
    default = make_app()
    renamed = make_app(API_TITLE="Provincial marketplace API")

    assert _document(renamed)["info"]["title"] == "Provincial marketplace API"
    assert _document(default)["info"]["title"] == "Technology-transfer marketplace API"
    assert _document(make_app())["info"]["title"] == "Technology-transfer marketplace API"
