"""Build step: compile the interface translations (.po → .mo) when the package is installed.

The .po catalogues are committed; the .mo files are build output (ignored by git). Installing
(``pip install .``, or ``pip install -e .`` as the README does) compiles them once, so the
application only checks for them at start and never writes into its own package directory.
The compiler is marketplace/i18n.py itself, loaded by path: importing the ``marketplace``
package would need Flask, which the isolated build environment does not have.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def _i18n() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "_marketplace_i18n_build", ROOT / "marketplace" / "i18n.py"
    )
    if spec is None or spec.loader is None:
        raise RuntimeError("marketplace/i18n.py is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildPyWithCatalogues(build_py):
    """``build_py`` that also compiles the translation catalogues."""

    def run(self) -> None:
        super().run()
        i18n = _i18n()
        if self.editable_mode:
            # An editable install serves the package from the source tree.
            count = i18n.compile_catalogs(force=True)
        else:
            count = i18n.compile_catalogs(
                force=True, into=Path(self.build_lib) / "marketplace" / "translations"
            )
        self.announce(f"compiled {count} translation catalogues", level=2)
