"""Interface translations: the .po catalogues are committed, the .mo files are built from them.

They are compiled when the package is installed (build_translations.py, run by pip) or by
``marketplace translations compile``; the application only checks for them at start
(:func:`check_catalogs`), so it never writes into its own package directory.
"""

from __future__ import annotations

import logging
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
# Marking functions beyond Babel's defaults (gettext, pgettext, …): Flask-Babel's lazy ones.
# Babel's spec: None = the first argument is the message; ((1, "c"), 2) = context, then message.
EXTRA_KEYWORDS: dict[str, tuple[tuple[int, str] | int, ...] | None] = {
    "_l": None,
    "lazy_gettext": None,
    "lazy_pgettext": ((1, "c"), 2),
}


def extract_keyword_options() -> list[str]:
    """:data:`EXTRA_KEYWORDS` as ``pybabel extract`` options (``-k lazy_pgettext:1c,2``)."""
    options: list[str] = []
    for name, spec in EXTRA_KEYWORDS.items():
        if spec is None:
            options += ["-k", name]
            continue
        arguments = [
            f"{part[0]}{part[1]}" if isinstance(part, tuple) else str(part) for part in spec
        ]
        options += ["-k", f"{name}:{','.join(arguments)}"]
    return options


class CataloguesMissing(RuntimeError):
    """The compiled catalogues are not there: the package was not installed with its build."""


def _mo_targets(po_path: Path, into: Path | None = None) -> list[Path]:
    """Where the compiled catalogue must go: next to the .po, and, when Babel spells the locale
    differently, under Babel's spelling too. Flask-Babel looks catalogues up by
    ``str(Locale.parse(code))``, which turns ``zh_CN`` into ``zh_Hans_CN``: without that copy the
    Chinese interface silently falls back to the English msgids."""
    into = into or TRANSLATIONS
    code = po_path.parent.parent.name
    name = po_path.with_suffix(".mo").name
    targets = [into / code / "LC_MESSAGES" / name]
    try:
        babel_code = str(Locale.parse(code))
    except (ValueError, UnknownLocaleError):
        babel_code = code
    if babel_code != code:
        targets.append(into / babel_code / "LC_MESSAGES" / name)
    return targets


def _catalogues() -> list[Path]:
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def _is_current(po_path: Path) -> bool:
    po_mtime = po_path.stat().st_mtime
    return all(t.exists() and t.stat().st_mtime >= po_mtime for t in _mo_targets(po_path))


def compile_catalogs(force: bool = False, into: Path | None = None) -> int:
    """Compile every ``messages.po`` (into ``into``, the package's own directory unless a build
    says otherwise) whose ``.mo`` is missing or older; returns how many."""
    compiled = 0
    for po_path in _catalogues():
        if not force and into in (None, TRANSLATIONS) and _is_current(po_path):
            continue
        with po_path.open("rb") as source:
            catalog = read_po(source)
        for mo_path in _mo_targets(po_path, into):
            mo_path.parent.mkdir(parents=True, exist_ok=True)
            tmp_path = mo_path.with_suffix(".mo.tmp")
            with tmp_path.open("wb") as target:
                write_mo(target, catalog, use_fuzzy=False)
            tmp_path.replace(mo_path)  # atomic: a concurrent reader never sees half a file
        compiled += 1
    return compiled


def check_catalogs() -> None:
    """At start: refuse to run without compiled catalogues; warn when they lag the .po files."""
    missing = [
        str(target.relative_to(TRANSLATIONS))
        for po_path in _catalogues()
        for target in _mo_targets(po_path)
        if not target.exists()
    ]
    if missing:
        raise CataloguesMissing(
            "the compiled translation catalogues are missing (" + ", ".join(missing) + "). "
            "They are built at installation: run `pip install -e .` again in the project "
            "directory, or `marketplace translations compile`."
        )
    stale = [po_path for po_path in _catalogues() if not _is_current(po_path)]
    for po_path in stale:
        log.warning(
            "%s changed after it was compiled; run `marketplace translations compile`",
            po_path.relative_to(TRANSLATIONS),
        )
