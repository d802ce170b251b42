"""The runtime's house rules: no import circles inside posekit, and no import of training/ or
export/ from it (the runtime ships alone, with numpy and LiteRT)."""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "posekit"


def _module(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Modules ``path`` imports, at module level or inside functions, except under
    ``if TYPE_CHECKING:`` (annotations only)."""
    mod = _module(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
            for n in ast.walk(node)}
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for a in node.names:  # ``from . import x`` names a module; ``from .m import x`` names m
                out.add(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base)
    return out


MODULES = {_module(p) for p in PKG.rglob("*.py")}
GRAPH = {_module(p): {m for m in _imports(p) if m in MODULES} for p in PKG.rglob("*.py")}


def test_the_runtime_has_no_import_circle():
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for n in sorted(GRAPH[m]):
            if n == m or n == m.rpartition(".")[0]:
                continue  # a package's own __init__ is not an edge of its modules
            if state.get(n) == 1:
                pytest.fail("import circle: " + " -> ".join(path[path.index(n):] + [n]))
            if n not in state:
                visit(n)
        path.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)


def test_the_runtime_does_not_import_training_or_export():
    for p in PKG.rglob("*.py"):
        bad = {m for m in _imports(p) if m.split(".")[0] in ("training", "export", "posekit_train", "posekit_export")}
        assert not bad, (p, bad)


def test_the_graph_is_read():  # the check above sees the package's real edges
    assert "posekit.activity.analysis" in GRAPH["posekit.activity.streaming"]
    assert "posekit.activity.results" in GRAPH["posekit.activity.form"]
    assert "posekit.activity.results" not in GRAPH["posekit.types"]  # annotations only


def test_training_does_not_import_export():
    """export/ builds on training/ (model definitions, data); the other way round would be a circle."""
    root = PKG.parent / "training"
    for p in root.rglob("*.py"):
        tree = ast.parse(p.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level}
        assert not {m for m in names if m.split(".")[0] in ("export", "posekit_export")}, p
