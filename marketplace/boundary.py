"""The request-input boundary: one check of every route's path, query string, form and JSON body,
before any view runs, for input that neither database can store or Python cannot use."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, Request, current_app, request
from flask import json as flask_json
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.errors import DomainError, ValidationError
from marketplace.extensions import db

# NUL: PostgreSQL text cannot hold it. U+D800–U+DFFF: a lone surrogate (a JSON "\ud800" escape)
# cannot be encoded as UTF-8, so neither database driver nor a template can use it. A decoded
# Python str holds a surrogate only when it was unpaired: JSON joins a valid pair into one
# character.
BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
LARGEST_COLUMN = 2**63 - 1  # BIGINT, the widest integer column on either database
MAX_REPORTED_FIELDS = 20  # enough to fix a form; a hostile body may have thousands


class InvalidJSON(DomainError):
    status = 400
    code = "invalid_json"
    default_message = _l("The request body is not valid JSON.")


class BodyTooLarge(DomainError):
    status = 413
    code = "too_large"
    default_message = _l("The request body is too large.")


class JSONInputError(ValueError):
    """Raised by the bounded parser. A ValueError, so ``request.get_json(silent=True)`` still
    answers None; ``fields`` names where the problems are (dotted paths); ``structural`` is true
    for syntax, size and nesting problems (a 400) and false for unusable values (a 422)."""

    def __init__(
        self, message: str, fields: dict[str, str] | None = None, structural: bool = True
    ) -> None:
        super().__init__(message)
        self.fields = fields or {}
        self.structural = structural


@dataclass(frozen=True)
class JSONLimits:
    max_bytes: int
    max_depth: int
    max_values: int
    max_number_chars: int

    @classmethod
    def from_config(cls, config: Any) -> JSONLimits:
        return cls(
            config["JSON_MAX_BYTES"],
            config["JSON_MAX_DEPTH"],
            config["JSON_MAX_VALUES"],
            config["JSON_MAX_NUMBER_CHARS"],
        )


@dataclass(frozen=True)
class _Unusable:
    """Stands in for a JSON number the parser refused, so the walk can name its field."""

    reason: str


# -- column ranges -------------------------------------------------------------------------------


def _integer_bits(column_type: Any) -> int | None:
    if isinstance(column_type, sa.types.TypeDecorator):
        return None  # Money and the like parse and bound their own input
    if isinstance(column_type, sa.SmallInteger):
        return 16
    if isinstance(column_type, sa.BigInteger):
        return 64
    if isinstance(column_type, sa.Integer):
        return 32
    return None


def integer_ranges(metadata: sa.MetaData) -> dict[str, tuple[int, int]]:
    """Column name -> the range every integer column of that name can hold, the narrowest when
    several tables share a name (``id`` is INTEGER somewhere, so an ``id`` must fit INTEGER)."""
    ranges: dict[str, tuple[int, int]] = {}
    for table in metadata.tables.values():
        for column in table.columns:
            bits = _integer_bits(column.type)
            if bits is None:
                continue
            low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
            if column.name in ranges:
                old_low, old_high = ranges[column.name]
                low, high = max(low, old_low), min(high, old_high)
            ranges[column.name] = (low, high)
    return ranges


def _column_name(field: str) -> str:
    """``assign-broker_id`` (a WTForms prefix), ``line_items-0-id`` -> the column's name;
    ``listing_ids`` (a list of ids) -> ``listing_id``."""
    name = field.rsplit("-", 1)[-1].rsplit(".", 1)[-1]
    return name[:-1] if name.endswith("_ids") else name


def _as_integer(value: Any) -> int | None:
    """The integer a schema or form field would make of ``value`` (``int()`` accepts signs,
    spaces, underscores and any Unicode digits), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str) and len(value) <= 100:
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _range_problem(ranges: dict[str, tuple[int, int]], field: str, value: Any) -> str | None:
    bounds = ranges.get(_column_name(field))
    number = _as_integer(value)
    if number is None:
        if bounds and isinstance(value, float) and not math.isfinite(value):
            return _("Enter a whole number.")
        return None
    low, high = bounds or (-LARGEST_COLUMN - 1, LARGEST_COLUMN)
    if bounds is None and not isinstance(value, int):
        return None  # text that merely looks like a number, in a field that is no column
    if low <= number <= high:
        return None
    return _("Enter a whole number between %(low)d and %(high)d.", low=low, high=high)


def _text_problem(text: str) -> str | None:
    match = BAD_TEXT.search(text)
    if match is None:
        return None
    if match.group() == "\x00":
        return _("Remove the NUL character (\\u0000); it cannot be stored.")
    return _(
        "Remove the unpaired surrogate (\\u%(code)04x); it is not a character.",
        code=ord(match.group()),
    )


# -- JSON ------------------------------------------------------------------------------------------


def parse_json(
    data: bytes | str, limits: JSONLimits, ranges: dict[str, tuple[int, int]] | None = None
) -> Any:
    """Parse a JSON body within ``limits`` and check every value in it, or raise
    ``JSONInputError``. Numbers longer than the limit never reach ``int()`` (whose
    4,300-digit guard would raise), nesting deeper than the limit never reaches the view."""
    if len(data) > limits.max_bytes:
        raise JSONInputError(_("The request body is larger than %(n)d bytes.", n=limits.max_bytes))
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise JSONInputError(_("The request body is not UTF-8.")) from error
    else:
        text = data

    def number(literal: str, convert: Any) -> Any:
        if len(literal) > limits.max_number_chars:
            return _Unusable("long")
        value = convert(literal)
        return _Unusable("infinite") if isinstance(value, float) and math.isinf(value) else value

    _check_depth(text, limits.max_depth)
    try:
        value = json.loads(
            text,
            parse_int=lambda s: number(s, int),
            parse_float=lambda s: number(s, float),
            parse_constant=lambda s: _Unusable("constant"),
        )
    except (ValueError, RecursionError) as error:
        raise JSONInputError(_("The request body is not valid JSON.")) from error
    _walk(value, limits, ranges or {})
    return value


_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _check_depth(text: str, max_depth: int) -> None:
    """Refuse deep nesting before parsing: the parser recurses once per level."""
    depth = 0
    for token in _STRING_OR_BRACKET.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > max_depth:
                raise JSONInputError(
                    _("The JSON is nested more than %(n)d levels deep.", n=max_depth)
                )
        elif char in "]}":
            depth -= 1


def _walk(root: Any, limits: JSONLimits, ranges: dict[str, tuple[int, int]]) -> None:
    problems: dict[str, str] = {}
    stack: list[tuple[str, Any]] = [("", root)]
    seen = 0
    while stack:
        path, value = stack.pop()
        seen += 1
        if seen > limits.max_values:
            raise JSONInputError(_("The JSON holds more than %(n)d values.", n=limits.max_values))
        field = path or "_body"
        problem: str | None = None
        if isinstance(value, dict):
            for key, inner in value.items():
                key_problem = _text_problem(key)
                if key_problem:
                    problems.setdefault(f"{path}.{key!a}" if path else ascii(key), key_problem)
                    continue
                stack.append((f"{path}.{key}" if path else key, inner))
        elif isinstance(value, list):
            stack.extend(
                (f"{path}.{index}" if path else str(index), inner)
                for index, inner in enumerate(value)
            )
        elif isinstance(value, str):
            problem = _text_problem(value) or _range_problem(ranges, field, value)
        elif isinstance(value, _Unusable):
            problem = {
                "long": _("This number has more than %(n)d characters.", n=limits.max_number_chars),
                "infinite": _("This number is too large."),
            }.get(value.reason, _("NaN and Infinity are not numbers JSON allows."))
        elif isinstance(value, int | float):
            problem = _range_problem(ranges, field, value)
        if problem:
            problems.setdefault(field, problem)
    if problems:
        raise JSONInputError(
            _("Some values could not be accepted."),
            dict(sorted(problems.items())[:MAX_REPORTED_FIELDS]),
            structural=False,
        )


class _BoundedJSONModule:
    """What ``request.get_json()`` parses with: the same limits as the boundary, so code that
    reads a body before or after it (the sign-in throttle reads the e-mail) is safe too."""

    @staticmethod
    def loads(data: bytes | str, **_kwargs: Any) -> Any:
        return parse_json(data, JSONLimits.from_config(current_app.config), _ranges())

    dumps = staticmethod(flask_json.dumps)


class BoundedRequest(Request):
    json_module = _BoundedJSONModule


# -- the check -----------------------------------------------------------------------------------


def _ranges() -> dict[str, tuple[int, int]]:
    # Built on first use, when every feature's models are registered (features added later
    # are covered without listing them here).
    cached = current_app.extensions.get("integer_ranges")
    if cached is None:
        cached = current_app.extensions["integer_ranges"] = integer_ranges(db.metadata)
    return cached


def _check_pairs(
    pairs: Iterable[tuple[str | None, Any]],
    ranges: dict[str, tuple[int, int]],
    problems: dict[str, str],
) -> None:
    for name, value in pairs:
        if name is None:
            # Werkzeug gives a multipart part whose name it cannot parse (name="\") no name.
            problems.setdefault("_form", _("a form field has a name that cannot be read"))
            continue
        name_problem = _text_problem(name)
        if name_problem:
            problems.setdefault(ascii(name), name_problem)
            continue
        if isinstance(value, str):
            problem = _text_problem(value) or _range_problem(ranges, name, value)
            if problem:
                problems.setdefault(name, problem)


def _refuse(problems: dict[str, str]) -> None:
    if problems:
        fields = dict(sorted(problems.items())[:MAX_REPORTED_FIELDS])
        raise ValidationError(
            _(
                "These values could not be accepted: %(fields)s.",
                fields="; ".join(f"{name}: {text}" for name, text in fields.items()),
            ),
            fields=fields,
        )


def check_request() -> None:
    """Refuse, before any view runs, text with NUL or unpaired surrogates in the path, query,
    form or JSON body; integers outside their column's range; and JSON beyond the limits."""
    ranges = _ranges()
    problems: dict[str, str] = {}
    if BAD_TEXT.search(request.path):
        problems["_path"] = _text_problem(request.path) or ""
    _check_pairs(
        (
            (name, value)
            for name, value in (request.view_args or {}).items()
            if isinstance(value, str)
        ),
        ranges,
        problems,
    )
    _check_pairs(request.args.items(multi=True), ranges, problems)
    _refuse(problems)
    if request.is_json:
        _check_json_body(ranges)
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        _check_pairs(request.form.items(multi=True), ranges, problems)
        _check_pairs(
            ((name, upload.filename or "") for name, upload in request.files.items(multi=True)),
            ranges,
            problems,
        )
        _refuse(problems)


def _check_json_body(ranges: dict[str, tuple[int, int]]) -> None:
    limits = JSONLimits.from_config(current_app.config)
    if (request.content_length or 0) > limits.max_bytes:
        raise BodyTooLarge(_("The request body is larger than %(n)d bytes.", n=limits.max_bytes))
    data = request.get_data(cache=True)
    if not data:
        return  # nothing to parse: the schema reports what is missing
    try:
        parse_json(data, limits, ranges)
    except JSONInputError as error:
        if error.structural:
            raise InvalidJSON(str(error), fields=error.fields) from error
        raise ValidationError(str(error), fields=error.fields) from error


def init_boundary(app: Flask) -> None:
    """Install the boundary on ``app``: its request class and the first before-request check."""
    app.request_class = BoundedRequest
    # First of all before-request functions: the sign-in throttle, CSRF and the API caller
    # lookup read the body or query too, and must only ever see input that passed here.
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
