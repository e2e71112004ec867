"""Imports point down: no import cycle among sportslens modules or packages (a static AST walk).

Imports at module level and inside functions (lazy) count; those under ``if TYPE_CHECKING:``
never run and only name types for annotations, so they are left out. The walk reads the
source, so it needs no optional dependency and imports nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    lazy: bool  # inside a function: runs at call time, not at import


def _module_names() -> dict[str, Path]:
    names = {}
    for path in sorted((SRC / "sportslens").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def _imports(
    tree: ast.AST, lazy: bool = False
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import that runs, and whether it is inside a function."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, lazy
        elif _is_type_checking(node):
            assert isinstance(node, ast.If)
            for other in node.orelse:  # an else branch runs
                yield from _imports(other, lazy)
            continue
        inner = lazy or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        yield from _imports(node, inner)


def _is_type_checking(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` or ``if typing.TYPE_CHECKING:``."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", "")
    return name == "TYPE_CHECKING"


def _edges(modules: Mapping[str, Path]) -> list[Edge]:
    edges = []
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node, lazy in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:  # relative: resolve against this module's package
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                # `from pkg import mod` imports the module pkg.mod; `from mod import name`, mod.
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                    for a in node.names
                ]
            edges += [Edge(name, t, lazy) for t in targets if t in modules and t != name]
    return edges


MODULES = _module_names()
EDGES = _edges(MODULES)


def _is_seam(edge: Edge) -> bool:
    """A lazy import of one's own package (``pose/form.py``: ``from sportslens.pose import
    extract_keypoints`` inside a function): the package is whole by the time it runs, and its
    public name is the seam tests patch. Not a layering cycle."""
    return edge.lazy and edge.importer.startswith(edge.imported + ".")


def _cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that returns to its start, or None (depth-first)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def _graph(edges: list[Edge], unit: int | None = None) -> dict[str, set[str]]:
    """Importer -> imported; with ``unit``, names cut to their first ``unit`` parts (packages)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        a, b = edge.importer, edge.imported
        if unit is not None:
            a, b = ".".join(a.split(".")[:unit]), ".".join(b.split(".")[:unit])
        if a != b:
            graph.setdefault(a, set()).add(b)
    return graph


def test_the_walk_finds_the_package() -> None:
    """Guards the test itself: the walk sees the modules and their imports."""
    assert {"sportslens.video", "sportslens.synth.clips", "sportslens.dive.heads"} <= set(MODULES)
    assert Edge("sportslens.synth.clips", "sportslens.synth.scene", False) in EDGES
    assert any(e.lazy for e in EDGES)
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_imports_itself_back() -> None:
    kept = [e for e in EDGES if not _is_seam(e)]
    assert _cycle(_graph(kept)) is None


def test_packages_form_layers() -> None:
    """Between sportslens' packages and top-level modules (``sportslens.data``,
    ``sportslens.pose``, ``sportslens.train``...) there is no cycle at all, lazy imports
    included: data and pose, the generator and the timeline, the dive package and the models
    each sit on one side of the other."""
    assert _cycle(_graph(EDGES, unit=2)) is None


def _imported_by(prefix: str) -> set[str]:
    return {
        e.imported for e in EDGES if e.importer == prefix or e.importer.startswith(prefix + ".")
    }


@pytest.mark.parametrize(
    ("importer", "forbidden"),
    [
        ("sportslens.pose", "sportslens.data"),  # data's keypoint dataset reads pose's files
        ("sportslens.synth", "sportslens.data"),  # the generator writes files, nothing more
        ("sportslens.timeline.evaluate", "sportslens.synth"),  # truth: timeline/truth.py
        ("sportslens.dive", "sportslens.models"),  # the heads plug in through models/heads.py
        ("sportslens.dive", "sportslens.predict"),
        ("sportslens.train", "sportslens.dive"),  # the core never names a kind of heads
        ("sportslens.predict", "sportslens.dive"),
        ("sportslens.evaluate", "sportslens.dive"),
        ("sportslens.checkpoint", "sportslens.dive"),
        ("sportslens.report", "sportslens.models"),
    ],
)
def test_what_a_layer_does_not_import(importer: str, forbidden: str) -> None:
    found = {m for m in _imported_by(importer) if m == forbidden or m.startswith(forbidden + ".")}
    assert not found, f"{importer} imports {sorted(found)}"


@pytest.mark.parametrize(
    "leaf",
    [
        "sportslens.decode_threads",
        "sportslens.writer",
        "sportslens.sampling",
        "sportslens.messages",
        "sportslens.progress",
        "sportslens.metrics",
        "sportslens.dive.numbers",
        "sportslens.report.figure",
        "sportslens.synth.settings",
        "sportslens.timeline.truth",
    ],
)
def test_leaves_import_nothing_of_sportslens(leaf: str) -> None:
    assert leaf in MODULES
    assert _imported_by(leaf) == set()


def test_the_engines_import_nothing_else_of_sportslens() -> None:
    """Pose extraction and the clip cache bring their work to the engines, not the reverse."""
    imported = _imported_by("sportslens.engines")
    assert {m for m in imported if not m.startswith("sportslens.engines")} == set()


def test_video_imports_only_its_threading_choice() -> None:
    assert _imported_by("sportslens.video") == {"sportslens.decode_threads"}


def test_transforms_import_only_the_sampling_vocabulary() -> None:
    assert _imported_by("sportslens.transforms") == {"sportslens.sampling"}
