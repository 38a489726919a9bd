"""Interface translations: the .po catalogues are committed, the .mo files are built from them."""

from __future__ import annotations

import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def compile_catalogs(force: bool = False) -> int:
    """Compile every ``messages.po`` whose ``.mo`` is missing or older; returns how many."""
    compiled = 0
    for po_path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            with po_path.open("rb") as source:
                catalog = read_po(source)
            tmp_path = mo_path.with_suffix(".mo.tmp")
            with tmp_path.open("wb") as target:
                write_mo(target, catalog, use_fuzzy=False)
            tmp_path.replace(mo_path)  # atomic: a concurrent reader never sees half a file
            compiled += 1
        except OSError:
            # A read-only install must have compiled at build time; say so, but keep serving.
            log.warning("could not compile %s", po_path, exc_info=True)
    return compiled
