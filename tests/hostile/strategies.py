"""Hypothesis strategies for hostile input: money edge cases, markup, huge and odd text, wrong
types, unknown keys."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# What the reflection check looks for: if any of these comes back raw in HTML, markup got through.
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
MARKUP = (SCRIPT, IMG, "<svg/onload=alert(3)>", "javascript:alert(4)//<b>x</b>")
RAW_MARKERS = ("<script>alert(1)", "<img src=x onerror", "<svg/onload")

MONEY_TEXT = [
    "NaN",
    "nan",
    "sNaN",
    "-sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "-0",
    "-0.00",
    "0",
    "0.00",
    "1e30",
    "1E+30",
    "1e3",
    "1e-3",
    "0.001",
    "12.345",
    "-1",
    "-0.01",
    "+5",
    "  12 ",
    "1,000.50",
    "１２３",
    "١٢٣",
    "१२३",
    "12_000",
    "0x10",
    "9" * 40,
    "9" * 13 + ".99",
    "1" + "0" * 12 + ".01",
    "1000000000000.00",
    "1000000000000.01",
    "12.",
    ".5",
    "",
    " ",
    "面议",
    "￥100",
    "100元",
    "1e400",
    "NaN123",
    "Infinity" * 10,
    "0.1" * 30,
]

MONEY_JSON: list[Any] = [
    *MONEY_TEXT,
    0,
    -0.0,
    -1,
    1e30,
    1e308,
    12.345,
    0.1,
    True,
    False,
    None,
    10**40,
    -(10**40),
    [],
    {},
    ["1"],
    {"amount": "1"},
]

ODD_TEXT = [
    "",
    " ",
    "\x00",
    "\u202e\u0041",
    "😀" * 50,
    "\ud7ff",
    "null",
    "None",
    "true",
    "[]",
    "{}",
    "' OR 1=1 --",
    '"; DROP TABLE users; --',
    "../../../../etc/passwd",
    "%00",
    "%s%s%n",
    "{{7*7}}",
    "${7*7}",
    "{% raw %}",
    "\r\nSet-Cookie: x=1",
    "a" * 100_000,
    "石墨烯" * 3000,
    "2026-02-30",
    "0000-00-00",
    "9999-99-99",
    "-1",
    "0",
    "2147483648",
    "18446744073709551616",
    "1.5",
    "NaN",
    "electronic_info",
    "admin",
    "published",
    "registered",
]

_text = st.one_of(
    st.sampled_from(MARKUP),
    st.sampled_from(ODD_TEXT),
    st.sampled_from(MONEY_TEXT),
    st.text(max_size=40),
    # Long text, built by repetition: generating thousands of random characters is slow.
    st.builds(
        lambda piece, times: piece * times, st.text(min_size=1, max_size=6), st.integers(40, 2000)
    ),
    st.builds(lambda a, b: a + SCRIPT + b, st.text(max_size=10), st.text(max_size=10)),
)

# Only JSON can carry a lone surrogate (as the escape "\ud800"); forms and query strings go
# out as UTF-8, which cannot encode one (tests/hostile/classes.py sends their raw bytes).
SURROGATE_TEXT = ["\ud800", "a\udfffb", "\udc00\ud800", "x" * 50 + "\ud83d"]
# Ids at and past the INTEGER and BIGINT columns' range.
EDGE_IDS = [2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64, -(2**31) - 1, 0, -1]

_scalar = st.one_of(
    _text,
    st.sampled_from(SURROGATE_TEXT),
    st.sampled_from(EDGE_IDS),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.sampled_from(MONEY_JSON),
)

json_value = st.recursive(
    _scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=8,
)


def text_value() -> st.SearchStrategy[str]:
    return _text


def form_value() -> st.SearchStrategy[str]:
    """Form posts are text: anything a browser (or a script) could send."""
    return st.one_of(_text, st.integers(-(10**20), 10**20).map(str), st.sampled_from(MONEY_TEXT))


def value_for(schema: dict[str, Any], name: str = "") -> st.SearchStrategy[Any]:
    """Mostly hostile, sometimes well-typed values, so validation passes for some fields and the
    code behind it gets reached too."""
    hostile = st.one_of(json_value, st.sampled_from(MONEY_JSON), st.sampled_from(MARKUP))
    plausible: list[st.SearchStrategy[Any]] = []
    if name == "id" or name.endswith(("_id", "_ids")):
        plausible.append(st.sampled_from(EDGE_IDS))
        plausible.append(st.sampled_from(EDGE_IDS).map(str))
    if "enum" in schema:
        plausible.append(st.sampled_from(schema["enum"]))
    kind = schema.get("type")
    if kind == "string":
        plausible.append(
            st.one_of(
                st.sampled_from(MARKUP), st.text(max_size=30), st.sampled_from(SURROGATE_TEXT)
            )
        )
        if schema.get("format") in ("date", "date-time"):
            plausible.append(st.dates().map(str))
    elif kind == "integer":
        plausible.append(st.one_of(st.integers(-5, 50), st.sampled_from(EDGE_IDS)))
    elif kind == "number":
        plausible.append(st.floats())
    elif kind == "boolean":
        plausible.append(st.booleans())
    elif kind == "array":
        item = schema.get("items") or {}
        plausible.append(st.lists(value_for(item) if item else json_value, max_size=3))
    if not plausible:
        return hostile
    return st.one_of(hostile, *plausible)


def json_body(properties: dict[str, dict[str, Any]]) -> st.SearchStrategy[Any]:
    """A JSON body: the schema's keys with hostile values, unknown keys, or not an object."""
    known = st.fixed_dictionaries(
        {}, optional={name: value_for(schema, name) for name, schema in properties.items()}
    )
    with_unknown = st.builds(
        lambda a, b: {**a, **b},
        known,
        st.dictionaries(
            st.sampled_from(
                ["__proto__", "id", "org_id", "role", "status", "x" * 300, "constructor", "admin"]
            ),
            json_value,
            max_size=3,
        ),
    )
    return st.one_of(known, known, with_unknown, json_value)
