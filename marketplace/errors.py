"""Domain errors raised by services, and the handlers that render them as pages or JSON."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from marketplace.database import is_busy_error
from marketplace.extensions import db

# Seconds a client is asked to wait after a 503 "busy": a few short writes' worth.
BUSY_RETRY_AFTER = 5


class DomainError(Exception):
    """A business rule refused the request; ``code`` is stable, ``message`` is for people."""

    status = 400
    code = "bad_request"
    default_message: Any = _l("The request could not be processed.")

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        self.message = str(message) if message is not None else str(self.default_message)
        self.fields = {name: str(text) for name, text in (fields or {}).items()}
        if code:
            self.code = code
        super().__init__(self.message)


class ValidationError(DomainError):
    status = 422
    code = "validation_error"
    default_message = _l("Some values are not valid.")


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    default_message = _l("Sign in first.")


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"
    default_message = _l("You are not allowed to do that.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _l("Not found.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _l("That conflicts with the current state.")


class InvalidTransition(Conflict):
    code = "invalid_transition"
    default_message = _l("That change of status is not allowed.")


def wants_json() -> bool:
    """API paths always answer JSON; elsewhere only clients that ask for it."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def json_error(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> tuple[Response, int]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return jsonify({"error": body}), status


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "server_error",
    503: "busy",
}


def _http_message(status: int) -> str:
    messages = {
        400: _("The request was malformed."),
        401: _("Sign in first."),
        403: _("You are not allowed to do that."),
        404: _("The page or object you asked for does not exist."),
        405: _("That method is not allowed here."),
        413: _("The upload is too large."),
        415: _("That content type is not supported."),
        429: _("Too many attempts. Please wait a while and try again."),
        500: _("Something went wrong on our side. It has been logged."),
    }
    return messages.get(status, _("The request could not be processed."))


def _render(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> tuple[Response | str, int]:
    if wants_json():
        return json_error(status, code, message, fields)
    template = f"errors/{status}.html" if status in (403, 404, 429, 500) else "errors/generic.html"
    return render_template(template, status=status, message=message), status


def _webargs_fields(error: HTTPException) -> dict[str, str] | None:
    """Flatten webargs/marshmallow messages ({"json": {"price": ["..."]}}) to {"price": "..."}."""
    data = getattr(error, "data", None)
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, dict):
        return None
    fields: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list | tuple):
            if value and all(isinstance(item, str) for item in value):
                fields[prefix or "_schema"] = " ".join(value)
            else:
                for index, inner in enumerate(value):
                    walk(f"{prefix}.{index}", inner)
        else:
            fields[prefix or "_schema"] = str(value)

    for location_messages in messages.values():
        walk("", location_messages)
    return fields or None


def render_http_error(error: HTTPException) -> tuple[Response | str, int]:
    """An HTTP error (404, 405, webargs' 422…) as a page, or as the SPEC JSON body."""
    status = error.code or 500
    fields = _webargs_fields(error)
    message = str(ValidationError.default_message) if fields else _http_message(status)
    return _render(status, HTTP_CODES.get(status, "http_error"), message, fields)


def register_errorhandlers(app: Flask) -> None:
    """Render domain errors and HTTP errors as pages, or as JSON for the API."""

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError) -> ResponseReturnValue:
        return _render(error.status, error.code, error.message, error.fields)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError) -> ResponseReturnValue:
        return _render(
            400,
            "csrf_failed",
            _("The form expired or was not sent from this site. Please try again."),
        )

    app.register_error_handler(HTTPException, render_http_error)

    @app.errorhandler(sa.exc.OperationalError)
    def handle_database_error(error: sa.exc.OperationalError) -> ResponseReturnValue:
        db.session.rollback()
        if not is_busy_error(error):
            return handle_unexpected(error)
        # Contention, not a fault: one line, no traceback; the client retries.
        app.logger.info("database busy on %s %s; answered 503", request.method, request.path)
        response, status = _render(
            503, "busy", _("The site is busy right now. Please try again in a few seconds.")
        )
        response = app.make_response((response, status))
        response.headers["Retry-After"] = str(BUSY_RETRY_AFTER)
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> ResponseReturnValue:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return _render(500, "server_error", _http_message(500))
