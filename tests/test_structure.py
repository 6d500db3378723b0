"""The shape of the code: imports point down, never up, and no module imports itself back
through others. The layers: ``crawler`` (the Scrapy runtime and the command line) over
``pipelines`` (the item stages) and ``jobs`` (batch jobs), over ``cleaning`` (pure: bytes →
record) and ``storage`` (the database), over ``domain``. ``cleaning`` and ``storage`` know
nothing of each other; ``cleaning`` imports no Scrapy, no database and no network library.

Every import counts, at module level or inside a function: a lazy import is still a
dependency. ``mocksite`` is a product of its own: it imports none of the layers, and
only the command line imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The project packages each top-level package may import (besides itself).
MAY_IMPORT = {
    "domain": set(),
    "cleaning": {"domain"},
    "storage": {"domain"},
    "jobs": {"cleaning", "storage", "domain"},
    "pipelines": {"cleaning", "storage", "domain"},
    "crawler": {"pipelines", "jobs", "cleaning", "storage", "domain"},
    "mocksite": set(),
}
LAYERS = MAY_IMPORT
#: Third-party packages the pure cleaning package must not import: it is bytes in, record out.
NOT_IN_CLEANING = (
    "scrapy",
    "twisted",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "redis",
    "scrapy_redis",
    "requests",
    "urllib.request",
    "http.client",
    "socket",
    "warcio",
)
#: Packages that may import the mock site (the ``mock`` command).
MOCKSITE_USERS = ("crawler.cli",)


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in LAYERS:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def import_graph() -> dict[str, set[str]]:
    """``{module: modules of the project it imports}`` from the source (all imports, any depth)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package[: len(package) - (node.level - 1)]
                    base = ".".join(up + ([node.module] if node.module else []))
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            for target in targets:
                # the deepest project module the name lies in ("storage.articles.save_article" -> "storage.articles")
                parts = target.split(".")
                while parts and ".".join(parts) not in modules:
                    parts.pop()
                if parts and ".".join(parts) != name:
                    found.add(".".join(parts))
        graph[name] = found
    return graph


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, targets in graph.items():
        top = module.split(".")[0]
        for target in targets:
            ttop = target.split(".")[0]
            if ttop == top:
                continue
            if ttop == "mocksite":
                if not module.startswith(MOCKSITE_USERS):
                    bad.append(f"{module} -> {target} (only {', '.join(MOCKSITE_USERS)} may use the mock site)")
            elif ttop not in MAY_IMPORT[top]:
                bad.append(f"{module} -> {target}")
    return sorted(bad)


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted.

    A package's ``__init__`` importing its own submodules, which import names back from
    it, is Python's usual package shape: edges from a package to its own submodules are
    left out."""
    edges = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_no_upward_imports():
    assert upward_imports(import_graph()) == []


def third_party_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module)
    return found


def test_cleaning_is_pure():
    """The cleaning package takes bytes and gives a record: no crawler, no database, no network."""
    bad = []
    for path in sorted((ROOT / "cleaning").rglob("*.py")):
        for name in third_party_imports(path):
            if any(name == banned or name.startswith(banned + ".") for banned in NOT_IN_CLEANING):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert bad == []


def test_no_import_cycles():
    assert import_cycles(import_graph()) == []


def test_the_checks_see_what_they_are_for():
    """The checks themselves fail on an upward import and on a cycle."""
    graph = {
        "storage.a": {"pipelines.b"},
        "pipelines.b": {"storage.a"},
        "domain.x": set(),
        "mocksite.m": {"domain.x"},
        "pipelines.c": {"mocksite.m"},
    }
    assert upward_imports(graph) == [
        "mocksite.m -> domain.x",
        "pipelines.c -> mocksite.m (only crawler.cli may use the mock site)",
        "storage.a -> pipelines.b",
    ]
    assert import_cycles(graph) == [["pipelines.b", "storage.a"]]
    assert import_cycles({"crawler.cli": {"crawler.cli.crawl"}, "crawler.cli.crawl": {"crawler.cli"}}) == []


def test_every_package_says_what_lives_in_it_and_what_it_may_use():
    for pkg in LAYERS:
        doc = ast.get_docstring(ast.parse((ROOT / pkg / "__init__.py").read_text(encoding="utf-8"))) or ""
        assert len(doc) > 80, f"{pkg}/__init__.py needs an opening docstring"
        assert "import" in doc or "use" in doc, f"{pkg}/__init__.py must say what the package may use"
