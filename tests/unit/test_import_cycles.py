"""No import circle in rootguard: the graph of runtime imports between its modules has no
cycle, lazy (function-level) imports included; imports under ``if TYPE_CHECKING:`` only
annotate and never run, so they do not count. The order itself is the import-linter
``layers`` contract in pyproject.toml (which counts the same imports); this test names
every edge of a circle, with its line, when one appears.
"""

from __future__ import annotations

import grimp
from grimp import ImportGraph

PACKAGE = "rootguard"


def import_cycles(graph: ImportGraph) -> list[list[str]]:
    """Every import circle of ``graph``: its strongly connected components of more than
    one module (Tarjan), each sorted, in module order; a module importing itself too."""
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in edges.get(module, ()):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1 or module in edges.get(module, ()):
                found.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    return sorted(found)


def describe(graph: ImportGraph, cycle: list[str]) -> str:
    """A circle and every import inside it: ``importer -> imported line N: <source>``."""
    members = set(cycle)
    lines = [f"import circle of {len(cycle)} modules: {', '.join(cycle)}"]
    for importer in cycle:
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
            details = graph.get_import_details(importer=importer, imported=imported)
            lines += [
                f"    {importer} -> {imported} line {d['line_number']}: {d['line_contents']}"
                for d in details
            ] or [f"    {importer} -> {imported}"]
    return "\n".join(lines)


def test_rootguard_has_no_import_circle() -> None:
    graph = grimp.build_graph(PACKAGE, exclude_type_checking_imports=True, cache_dir=None)
    assert f"{PACKAGE}._cli" in graph.modules  # the graph is rootguard's, not an empty one
    cycles = import_cycles(graph)
    assert not cycles, "\n".join(describe(graph, c) for c in cycles)


def _graph(*imports: tuple[str, str]) -> ImportGraph:
    graph = ImportGraph()
    for number, (importer, imported) in enumerate(imports, start=1):
        graph.add_import(
            importer=importer,
            imported=imported,
            line_number=number,
            line_contents=f"from {imported} import x",
        )
    return graph


def test_a_circle_is_found_with_its_edges() -> None:
    graph = _graph(
        ("p.a", "p.b"),
        ("p.b", "p.c"),
        ("p.c", "p.a"),  # a -> b -> c -> a
        ("p.c", "p.d"),
        ("p.d", "p.e"),
        ("p.e", "p.d"),  # d <-> e, reached from the first circle
        ("p.f", "p.a"),
    )
    cycles = import_cycles(graph)
    assert cycles == [["p.a", "p.b", "p.c"], ["p.d", "p.e"]]
    text = describe(graph, cycles[0])
    assert "p.c -> p.a line 3: from p.a import x" in text
    assert "p.c -> p.d" not in text  # an import out of the circle is not part of it


def test_a_graph_without_circle_has_none() -> None:
    graph = _graph(("p.a", "p.b"), ("p.b", "p.c"), ("p.a", "p.c"), ("p.d", "p.c"))
    assert import_cycles(graph) == []
