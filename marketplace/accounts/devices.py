"""A person's description of a browser from its User-Agent string ("Chrome on Windows")."""

from __future__ import annotations

import re

from flask_babel import gettext as _

# Order matters: Edge and Opera and WeChat also claim to be Chrome and Safari, Chrome claims to
# be Safari, so the more specific names come first. Product names are not translated.
_BROWSERS: list[tuple[str, str]] = [
    (r"MicroMessenger/", "WeChat"),
    (r"DingTalk/", "DingTalk"),
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"HeadlessChrome/", "Headless Chrome"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Version/[\d.]+.*Safari/", "Safari"),
    (r"python-requests|python-urllib|httpx|aiohttp", "Python"),
    (r"^curl/", "curl"),
]
_SYSTEMS: list[tuple[str, str]] = [
    (r"HarmonyOS|OpenHarmony", "HarmonyOS"),
    (r"Android", "Android"),
    (r"iPhone|iPad|iPod", "iOS"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"CrOS", "ChromeOS"),
    (r"Linux", "Linux"),
]


def _first(patterns: list[tuple[str, str]], text: str) -> str | None:
    for pattern, name in patterns:
        if re.search(pattern, text):
            return name
    return None


def describe_user_agent(user_agent: str | None) -> str:
    """``Chrome on Windows``; ``Unknown browser`` when nothing is recognised."""
    text = user_agent or ""
    browser = _first(_BROWSERS, text)
    system = _first(_SYSTEMS, text)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    if browser or system:
        return browser or _("Browser on %(system)s", system=system)
    return _("Unknown browser")
