"""The package's layers import only downward, and no module imports itself back through others.

Every ``import pyrovae.X`` / ``from pyrovae.X import ...`` in ``pyrovae/`` is read from the source
(top-level imports and those inside functions alike: a lazy import that goes up a layer is still a
dependency on it). Imports guarded by ``if TYPE_CHECKING:`` are annotations only and are skipped.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pyrovae"

#: Lowest first; a module may import its own layer and those before it. Top-level modules of
#: ``pyrovae`` are named by their file stem.
LAYERS: list[set[str]] = [
    {"errors", "version"},
    {"registry", "user_file", "atomic", "hub"},
    {"text"},
    {"model_file"},
    {"data"},
    {"distributions"},
    {"nn"},
    {"latent"},
    {"vae", "lm"},
    {"infer"},
    {"metrics"},
    {"generation"},
    {"diagnostics"},
    {"plots"},
    {"train"},
    {"analysis"},
    {"cli"},
    {"__init__"},
]
LEVEL = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}


def _unit(module: str) -> str:
    """``pyrovae.a.b`` -> ``a`` (the top-level package or module it belongs to)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[tuple[str, bool]]:
    """``(module, top_level)`` for every pyrovae import in ``tree`` outside ``if TYPE_CHECKING``."""
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child, top)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("pyrovae"):
            found.append((node.module, top))
        elif isinstance(node, ast.Import):
            found.extend((a.name, top) for a in node.names if a.name.startswith("pyrovae"))
        inner = top and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, True)
    return found


def _graph() -> dict[str, list[tuple[str, bool]]]:
    return {
        _module_name(path): _imports(ast.parse(path.read_text(encoding="utf-8")))
        for path in PACKAGE.rglob("*.py")
    }


def test_every_unit_has_a_layer():
    units = {_unit(m) for m in _graph()}
    assert units <= set(LEVEL), f"add these to LAYERS: {sorted(units - set(LEVEL))}"


def test_layers_import_only_downward():
    upward = []
    for module, imports in _graph().items():
        source = LEVEL[_unit(module)]
        for target, _ in imports:
            if LEVEL.get(_unit(target), -1) > source:
                upward.append(f"{module} imports {target}")
    assert not upward, "imports that go up a layer:\n" + "\n".join(sorted(set(upward)))


@pytest.mark.parametrize(
    "lower, upper",
    [("train", "cli"), ("infer", "metrics"), ("latent", "cli"), ("text", "data"), ("nn", "latent")],
)
def test_named_boundaries(lower, upper):
    offenders = [
        f"{module} imports {target}"
        for module, imports in _graph().items()
        if _unit(module) == lower
        for target, _ in imports
        if _unit(target) == upper
    ]
    assert not offenders, offenders


def test_no_import_cycle_among_modules():
    """Top-level imports between modules form no cycle (a package's ``__init__`` counts as a module)."""
    graph = _graph()
    modules = set(graph)

    def resolve(target: str) -> str | None:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target or None

    edges: dict[str, set[str]] = defaultdict(set)
    for module, imports in graph.items():
        for target, top in imports:
            resolved = resolve(target)
            if top and resolved and resolved != module and not module.startswith(resolved + "."):
                edges[module].add(resolved)
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                walk(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(modules):
        if module not in state:
            walk(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)
