"""Import structure: every feature package imports alone, and dependencies point one way.

The package graph drawn in README.md ("Architecture") is checked here from the source: module-level
imports only (function-level imports of project modules are refused outside the app factory), with
each package's web and CLI edge (``views``, ``forms``, ``commands``, the ``api`` package) drawn as
its own node above every package — nothing imports a view, so views never close a circle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "marketplace"

# Package circles that remain, each with why; the test fails on any other circle and also when
# one of these is gone (then delete its line here and redraw the README graph).
KNOWN_CIRCLES: dict[frozenset[str], str] = {
    frozenset(
        {"accounts", "notifications"}
    ): "account services notify users, and delivering a notification looks the users up",
    frozenset(
        {"instruments", "vouchers"}
    ): "a booking is paid by a voucher, and a voucher is redeemed against a booking",
}

# Where a function-level import of a project module is right, and why.
FUNCTION_LEVEL_IMPORTS: dict[str, str] = {
    "marketplace/__init__.py": "the app factory: the package __init__ runs for every submodule "
    "import, which must not load every blueprint",
    "marketplace/api/__init__.py": "the same for the API package's __init__",
}

EDGE_MODULES = ("views", "forms", "commands")


@cache
def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SOURCE.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements run at import time: the module body and its if/try blocks, except
    ``if TYPE_CHECKING:`` (never run)."""
    for node in body:
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", "")
            if name != "TYPE_CHECKING":
                yield from _module_level(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from _module_level(
                node.body
                + node.orelse
                + node.finalbody
                + [s for h in node.handlers for s in h.body]
            )
        else:
            yield node


def _targets(node: ast.stmt) -> set[str]:
    """The project modules an import statement loads."""
    known = modules()
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return {name for name in names if name in known}


@cache
def module_graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = {target for node in _module_level(tree.body) for target in _targets(node)} - {
            name
        }
    return graph


def _circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph.get(node, ()):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def node_of(module: str) -> str:
    """A module's node in the package graph: its feature package, or itself when it is part of
    the web/CLI edge."""
    parts = module.split(".")
    if len(parts) < 2:
        return module
    last = parts[-1]
    if parts[1] == "api" or (len(parts) > 2 and (last in EDGE_MODULES or last.endswith("_views"))):
        return module
    return parts[1]


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, targets in module_graph().items():
        if module == "marketplace":
            continue
        source = node_of(module)
        graph.setdefault(source, set()).update(
            node_of(target) for target in targets if target != "marketplace"
        )
        graph[source].discard(source)
    return graph


def test_no_import_cycle_between_modules() -> None:
    assert _circles(module_graph()) == []


def test_package_graph_has_no_circle_but_the_documented_ones() -> None:
    circles = set(_circles(package_graph()))
    assert circles - set(KNOWN_CIRCLES) == set(), "new circle between packages"
    assert set(KNOWN_CIRCLES) - circles == set(), "a documented circle is gone: drop its entry"


def test_nothing_imports_another_packages_views() -> None:
    offenders = sorted(
        (module, target)
        for module, targets in module_graph().items()
        for target in targets
        if target.rsplit(".", 1)[-1].endswith("views")
        and target.split(".")[1] != module.split(".")[1]
    )
    assert offenders == []


def test_function_level_imports_of_project_modules_have_a_reason() -> None:
    found = set()
    for path in modules().values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = set(map(id, _module_level(tree.body)))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top:
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                if any(n.split(".")[0] in ("marketplace", "worker") for n in names):
                    found.add(path.relative_to(ROOT).as_posix())
    assert found <= set(FUNCTION_LEVEL_IMPORTS), sorted(found - set(FUNCTION_LEVEL_IMPORTS))


def test_readme_draws_every_package() -> None:
    """The README's package graph shows every feature package and only the circles left."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    drawing = readme.split("### Package graph", 1)[1].split("```text", 1)[1].split("```", 1)[0]
    for package in sorted(node for node in package_graph() if "." not in node):
        if (SOURCE / package).is_dir() and package not in ("data", "translations"):
            assert package in drawing, f"README's package graph does not show {package}"
    assert drawing.count("⇄") == len(KNOWN_CIRCLES)


FEATURE_PACKAGES = sorted(path.parent.name for path in SOURCE.glob("*/__init__.py"))


@pytest.mark.parametrize("package", FEATURE_PACKAGES)
def test_feature_package_imports_alone(package: str) -> None:
    """Each package, with every module in it, imports in a fresh interpreter: nothing relies
    on the app factory (or another package) having been imported first."""
    prefix = f"marketplace.{package}"
    names = sorted(name for name in modules() if name == prefix or name.startswith(prefix + "."))
    script = f"import importlib\nfor name in {names!r}:\n    importlib.import_module(name)\n"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
