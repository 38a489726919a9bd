"""Chinese pages use full-width punctuation after Chinese words, and "required" has one wording."""

from __future__ import annotations

import re

from tests.stats.helpers import register_contract

# A Chinese character followed by an ASCII colon, semicolon, comma or question mark, in text.
_MIXED = re.compile(r"[\u4e00-\u9fff][:;,?](?!//)")


def _text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html)


def test_chinese_pages_use_full_width_colons(client, users, login_as):
    register_contract(broker_id=users["broker"].id)
    for role, paths in (
        ("enterprise", ["/account", "/workspace"]),
        ("admin", ["/admin/stats?region=330000", "/workspace", "/contracts"]),
    ):
        login_as(users[role])
        for path in paths:
            text = _text(client.get(path).get_data(as_text=True))
            assert not _MIXED.findall(text), (path, _MIXED.findall(text))
        client.post("/logout")


def test_required_has_one_wording(client):
    html = client.post("/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "此项为必填项" in html
    assert "该字段是必填字段" not in html
