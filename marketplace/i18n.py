"""Interface translations: the .po catalogues are committed, the .mo files are built from them."""

from __future__ import annotations

import logging
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def _mo_targets(po_path: Path) -> list[Path]:
    """Where the compiled catalogue must go: next to the .po, and, when Babel spells the locale
    differently, under Babel's spelling too. Flask-Babel looks catalogues up by
    ``str(Locale.parse(code))``, which turns ``zh_CN`` into ``zh_Hans_CN``: without that copy the
    Chinese interface silently falls back to the English msgids."""
    targets = [po_path.with_suffix(".mo")]
    code = po_path.parent.parent.name
    try:
        babel_code = str(Locale.parse(code))
    except (ValueError, UnknownLocaleError):
        babel_code = code
    if babel_code != code:
        targets.append(TRANSLATIONS / babel_code / "LC_MESSAGES" / po_path.with_suffix(".mo").name)
    return targets


def compile_catalogs(force: bool = False) -> int:
    """Compile every ``messages.po`` whose ``.mo`` is missing or older; returns how many."""
    compiled = 0
    for po_path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        targets = _mo_targets(po_path)
        po_mtime = po_path.stat().st_mtime
        if not force and all(t.exists() and t.stat().st_mtime >= po_mtime for t in targets):
            continue
        try:
            with po_path.open("rb") as source:
                catalog = read_po(source)
            for mo_path in targets:
                mo_path.parent.mkdir(parents=True, exist_ok=True)
                tmp_path = mo_path.with_suffix(".mo.tmp")
                with tmp_path.open("wb") as target:
                    write_mo(target, catalog, use_fuzzy=False)
                tmp_path.replace(mo_path)  # atomic: a concurrent reader never sees half a file
            compiled += 1
        except OSError:
            # A read-only install must have compiled at build time; say so, but keep serving.
            log.warning("could not compile %s", po_path, exc_info=True)
    return compiled
