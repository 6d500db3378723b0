"""The migration scripts' revisions, read from their files without importing Alembic.

Every command that opens an archive compares the archive's revision with the scripts'
(:func:`storage.db.open_archive`); importing Alembic's script machinery for that cost about
0.12 s of each command's start. A script names itself and its parent in the module-level
assignments ``revision = "…"`` and ``down_revision = …`` that Alembic itself reads; they are read
here with :mod:`ast`. ``tests/test_storage_revisions.py`` checks the answers against Alembic's.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

VERSIONS = Path(__file__).resolve().parent / "migrations" / "versions"


def _assigned(path: Path) -> dict[str, object]:
    values: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for t in targets:
            if isinstance(t, ast.Name) and t.id in ("revision", "down_revision"):
                values[t.id] = ast.literal_eval(value)
    return values


@lru_cache(maxsize=1)
def graph() -> dict[str, tuple[str, ...]]:
    """``{revision: its parents}`` of every script in the versions directory."""
    out: dict[str, tuple[str, ...]] = {}
    for path in sorted(VERSIONS.glob("*.py")):
        values = _assigned(path)
        rev = values.get("revision")
        if not isinstance(rev, str):
            continue
        down = values.get("down_revision")
        out[rev] = tuple(down) if isinstance(down, (tuple, list)) else ((down,) if isinstance(down, str) else ())
    return out


def known_revisions() -> set[str]:
    """Every revision of the migration scripts."""
    return set(graph())


def head_revision() -> str | None:
    """The newest revision (the one no other script revises); None without scripts.
    ValueError when the scripts have more than one head, as Alembic refuses them too."""
    g = graph()
    parents = {p for ps in g.values() for p in ps}
    heads = sorted(set(g) - parents)
    if len(heads) > 1:
        raise ValueError(f"the migration scripts have several heads: {', '.join(heads)}")
    return heads[0] if heads else None
