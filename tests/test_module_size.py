"""Every Python file of the repository stays small enough to read in one sitting: at most
``MAX_LINES`` lines as ``ruff format`` writes them (the lint gate checks the formatting, so
the count here is the formatted count). A file that grows past it is split by what its parts
do, as issue 23 asks; there is no list of exceptions."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 450
#: Folders that hold no project code.
SKIP = {".git", ".venv", "build", "dist", "node_modules", "__pycache__"}


def _python_files() -> list[Path]:
    tracked = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=False)
    if tracked.returncode == 0 and tracked.stdout.strip():
        return [ROOT / line for line in tracked.stdout.splitlines() if (ROOT / line).is_file()]
    return [p for p in ROOT.rglob("*.py") if not SKIP.intersection(p.relative_to(ROOT).parts)]


def test_the_walk_finds_the_packages() -> None:
    names = {p.relative_to(ROOT).parts[0] for p in _python_files()}
    assert {"crawler", "pipelines", "storage", "cleaning", "domain", "tests", "bench"} <= names


@pytest.mark.parametrize("limit", [MAX_LINES])
def test_no_python_file_is_over_the_limit(limit: int) -> None:
    over = {}
    for path in _python_files():
        with path.open(encoding="utf-8") as fh:
            n = sum(1 for _ in fh)
        if n > limit:
            over[str(path.relative_to(ROOT))] = n
    assert not over, f"over {limit} lines (split them by what their parts do): {over}"
