"""No import circles in termchat: every import counts, function-level and TYPE_CHECKING ones too.

A module imports another when it names it in `import x` / `from x import y` anywhere in its
source (or names a submodule through `from package import submodule`). The graph's strongly
connected components with more than one module are the circles.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "termchat"

# Circles inside the TUI allowed for now: none (the TUI half of issue 14 removed the last ones).
# Nothing outside termchat/tui may ever be added here.
KNOWN_TUI_CIRCLES: tuple[set[str], ...] = ()


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def import_graph() -> dict[str, set[str]]:
    """module -> the termchat modules it imports."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                for alias in node.names:
                    submodule = f"{source}.{alias.name}"
                    targets.add(submodule if submodule in modules else source)
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_every_kind_of_import():
    graph = import_graph()
    assert "termchat.sanitize" in graph["termchat.output"]  # function-level import
    assert "termchat.store_format" in graph["termchat.store"]  # top-level from-import
    assert "termchat.fake_api.endpoints" in graph["termchat.fake_api.server"]  # relative import
    assert "termchat.events" in graph["termchat.output"]  # TYPE_CHECKING import


def test_circles_are_found():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_no_import_circles():
    found = circles(import_graph())
    unexpected = [sorted(c) for c in found if not any(c <= known for known in KNOWN_TUI_CIRCLES)]
    assert unexpected == [], f"import circles: {unexpected}"
    assert all(name.startswith("termchat.tui") for known in KNOWN_TUI_CIRCLES for name in known)
