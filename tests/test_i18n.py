"""Translation catalogues are compiled at installation (or by the CLI), never at start."""

from __future__ import annotations

import ast
import os
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from click.testing import CliRunner

from marketplace import create_app, i18n
from marketplace.cli import main
from tests.conftest import ROOT


@pytest.fixture
def source_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the committed catalogues (.po only), standing in for the package's."""
    translations = tmp_path / "translations"
    for po_path in i18n.TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        target = translations / po_path.relative_to(i18n.TRANSLATIONS)
        target.parent.mkdir(parents=True)
        shutil.copy2(po_path, target)
    monkeypatch.setattr(i18n, "TRANSLATIONS", translations)
    return translations


def test_missing_catalogues_stop_the_start_with_a_clear_error(source_tree):
    with pytest.raises(i18n.CataloguesMissing, match="translations compile"):
        i18n.check_catalogs()
    with pytest.raises(i18n.CataloguesMissing, match=r"zh_CN/LC_MESSAGES/messages\.mo"):
        create_app("testing")
    assert not list(source_tree.rglob("*.mo")), "the start must not compile them itself"


def test_cli_compiles_without_an_application(source_tree):
    # With no catalogues an application cannot be created: the command must not need one.
    result = CliRunner().invoke(main, ["translations", "compile"])
    assert result.exit_code == 0, result.output
    assert "2 catalogues compiled" in result.output
    # Babel looks zh_CN up as zh_Hans_CN: both spellings are written.
    for code in ("en", "zh_CN", "zh_Hans_CN"):
        assert (source_tree / code / "LC_MESSAGES" / "messages.mo").stat().st_size > 0
    i18n.check_catalogs()


def test_a_build_compiles_into_its_own_directory(source_tree, tmp_path):
    build = tmp_path / "build" / "marketplace" / "translations"
    assert i18n.compile_catalogs(force=True, into=build) == 2
    assert (build / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo").exists()
    assert not list(source_tree.rglob("*.mo")), "a build leaves the source tree alone"


def test_the_application_start_only_checks(monkeypatch):
    def compile_at_start(*_args: object, **_kwargs: object) -> int:
        raise AssertionError("the application must not compile catalogues at start")

    monkeypatch.setattr(i18n, "compile_catalogs", compile_at_start)
    create_app("testing")


def test_stale_catalogue_is_reported(source_tree, caplog):
    i18n.compile_catalogs()
    po_path = source_tree / "zh_CN" / "LC_MESSAGES" / "messages.po"
    newer = max(p.stat().st_mtime for p in source_tree.rglob("*.mo")) + 10
    os.utime(po_path, (newer, newer))
    with caplog.at_level("WARNING", logger="marketplace.i18n"):
        i18n.check_catalogs()
    assert "translations compile" in caplog.text


def _extracted_messages() -> set[tuple[str | None, str]]:
    """(context, msgid) of every string the code and templates mark for translation.

    The same mapping and keywords as ``marketplace translations update``, so a string this finds
    is one that command would add to the catalogue.
    """
    with (i18n.TRANSLATIONS / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, **i18n.EXTRA_KEYWORDS}
    found: set[tuple[str | None, str]] = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.add((context, msgid))
    return found


def test_every_interface_string_has_a_chinese_translation():
    # zh_CN is the default language: an untranslated string shows English on a Chinese page
    # (how "Lots presented (ids, separated by commas)" reached the event form).
    with (i18n.TRANSLATIONS / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po)
    missing = []
    for context, msgid in sorted(_extracted_messages(), key=lambda m: (m[0] or "", m[1])):
        entry = catalogue.get(msgid, context=context)
        strings = entry.string if entry is not None else ""
        translations = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(translations):
            missing.append(f"{context or ''}|{msgid}")
    assert missing == [], f"{len(missing)} strings without a zh_CN translation: {missing[:20]}"


def test_no_translated_string_hides_inside_an_f_string():
    # Babel skips f-strings with substitutions, so f"{_('Row %(n)d', n=n)}: …" is never
    # extracted and stays English on every page: "Row", "Beijing time" and a ref message did.
    marking = {"_", "_l", "gettext", "lazy_gettext", "pgettext", "lazy_pgettext"}
    hidden = []
    for path in sorted((ROOT / "marketplace").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.JoinedStr):
                continue
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and isinstance(inner.func, ast.Name)
                    and inner.func.id in marking
                ):
                    hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert hidden == []
