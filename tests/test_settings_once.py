"""One source of settings: every default is in crawler/settings.py, once.

* Every setting of crawler/settings.py is assigned once: a second assignment silently replaces
  the first (SPIDER_MIDDLEWARES was assigned twice, so the middlewares its comment turned off
  were on).
* Code reads a setting without a default of its own (``settings.getint(NAME)``, never
  ``settings.getint(NAME, 20)``): a second default drifts from the first unseen.
* No other module writes a ``THEPAPER_*`` default: no module-level ``THEPAPER_X = ...``, no
  ``setdefault``, no ``settings.set`` below the command line's priority, no class read
  ``from_settings`` with defaults of its own.

The scan is over the source (AST), every package the project ships plus bench/; each rule is
also run on a snippet that breaks it, so that a scan that finds nothing cannot pass unseen.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.settings import default_settings as scrapy_defaults

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "crawler" / "settings.py"
#: The code scanned: every shipped package and the benchmarks (tests may set what they like).
SCANNED = ("crawler", "pipelines", "jobs", "cleaning", "storage", "domain", "mocksite", "bench")
#: Scrapy settings readers: ``get``, ``getint`` ... (``getwithbase`` takes no default).
READERS = {"get", "getint", "getfloat", "getbool", "getlist", "getdict", "getdictorlist", "getpriority"}
#: Receivers whose ``get`` is not a settings read (the environment, a dict of stats).
NOT_SETTINGS = {"environ", "stats", "meta", "headers"}
#: Priorities at which code may set a setting: the command line's, a spider's or an add-on's.
OVERRIDE_PRIORITIES = {"cmdline", "spider", "addon"}


def assigned_names(source: str) -> Counter:
    return Counter(
        target.id
        for node in ast.parse(source).body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    )


def project_names() -> set[str]:
    return {name for name in assigned_names(SETTINGS.read_text(encoding="utf-8")) if name.isupper()}


def setting_names() -> set[str]:
    return project_names() | {name for name in dir(scrapy_defaults) if name.isupper()}


def _receiver(node: ast.expr) -> str:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        if isinstance(node, ast.Attribute):
            return node.attr
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def defaults_at_call_sites(source: str, names: set[str]) -> list[str]:
    """``settings.getint("NAME", default)`` and ``settings.get("NAME", default=...)`` reads."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
            continue
        name = _text(node.args[0])
        if (
            node.func.attr in READERS
            and name in names
            and _receiver(node.func.value) not in NOT_SETTINGS
            and (len(node.args) > 1 or any(k.arg == "default" for k in node.keywords))
        ):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def defaults_written(source: str, names: set[str]) -> list[str]:
    """A ``THEPAPER_*`` default written outside crawler/settings.py."""
    found = []
    tree = ast.parse(source)
    for name, count in assigned_names(source).items():
        if name.startswith("THEPAPER_"):
            found.append(f"{name} = ... ({count}x at module level)")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            name = _text(node.args[0])
            if name not in names or _receiver(node.func.value) in NOT_SETTINGS:
                continue
            if node.func.attr == "setdefault":
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
            elif node.func.attr == "set":
                priority = next(
                    (k.value for k in node.keywords if k.arg == "priority"),
                    node.args[2] if len(node.args) > 2 else None,
                )
                if _text(priority) not in OVERRIDE_PRIORITIES:
                    found.append(f"line {node.lineno}: {ast.unparse(node)} (a default, not an override)")
        if isinstance(node, ast.ClassDef) and any(
            isinstance(f, ast.FunctionDef) and f.name == "from_settings" for f in node.body
        ):
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                    found.append(
                        f"line {stmt.lineno}: {node.name}.{ast.unparse(stmt.target)} has a default "
                        "of its own, beside the setting's"
                    )
    return found


def scanned_files() -> list[Path]:
    return sorted(
        p for pkg in SCANNED for p in (ROOT / pkg).rglob("*.py") if p != SETTINGS and "migrations" not in p.parts
    )


def test_no_setting_is_assigned_twice():
    names = assigned_names(SETTINGS.read_text(encoding="utf-8"))
    assert [name for name, count in names.items() if count > 1] == []


def test_settings_are_read_without_call_site_defaults():
    names = setting_names()
    found = {
        str(p.relative_to(ROOT)): hits
        for p in scanned_files()
        if (hits := defaults_at_call_sites(p.read_text(encoding="utf-8"), names))
    }
    assert found == {}


def test_no_thepaper_default_is_written_outside_the_settings_module():
    names = {n for n in setting_names() if n.startswith("THEPAPER_")}
    found = {
        str(p.relative_to(ROOT)): hits
        for p in scanned_files()
        if (hits := defaults_written(p.read_text(encoding="utf-8"), names))
    }
    assert found == {}


@pytest.mark.parametrize(
    "source, rule",
    [
        ("A = 1\nB = 2\nA = 3\n", "twice"),
        ("x = s.getint('THEPAPER_PAGE_SIZE', 20)\n", "read"),
        ("x = crawler.settings.getfloat('DOWNLOAD_DELAY', default=3.0)\n", "read"),
        ("x = self.crawler.settings.get('THEPAPER_SINCE', '')\n", "read"),
        ("THEPAPER_PAGE_SIZE = 20\n", "written"),
        ("settings.setdefault('THEPAPER_PAGE_SIZE', 20)\n", "written"),
        ("settings.set('THEPAPER_PAGE_SIZE', 20)\n", "written"),
        ("settings.set('THEPAPER_PAGE_SIZE', 20, priority='default')\n", "written"),
        (
            "class T:\n    z: float = 3.0\n    @classmethod\n    def from_settings(cls, s):\n        return cls(s.getfloat('THEPAPER_ALARM_Z'))\n",
            "written",
        ),
    ],
)
def test_each_rule_finds_what_breaks_it(source, rule):
    names = setting_names()
    found = {
        "twice": [n for n, c in assigned_names(source).items() if c > 1],
        "read": defaults_at_call_sites(source, names),
        "written": defaults_written(source, {n for n in names if n.startswith("THEPAPER_")}),
    }
    assert found[rule], source


@pytest.mark.parametrize(
    "source",
    [
        "x = s.getint('THEPAPER_PAGE_SIZE')\n",
        "x = os.environ.get('THEPAPER_CONFIG', '')\n",  # the environment, not the settings
        "x = stats.get('THEPAPER_PAGE_SIZE', 0)\n",
        "x = d.get('lowercase_key', 1)\n",
        "settings.set('THEPAPER_MAX_ARTICLES', n, priority='cmdline')\n",
        "class T:\n    z: float\n    @classmethod\n    def from_settings(cls, s):\n        return cls(s.getfloat('THEPAPER_ALARM_Z'))\n",
    ],
)
def test_the_rules_pass_what_is_allowed(source):
    names = setting_names()
    assert defaults_at_call_sites(source, names) == []
    assert defaults_written(source, {n for n in names if n.startswith("THEPAPER_")}) == []


def test_spider_middlewares_turned_off_are_off():
    from crawler import settings as module

    settings = Settings()
    settings.setmodule(module, priority="project")
    mws = settings.getwithbase("SPIDER_MIDDLEWARES")
    assert mws["scrapy.spidermiddlewares.depth.DepthMiddleware"] is None
    assert mws["scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware"] is None
    assert mws["crawler.middlewares.StopOnUnwritableArchive"] == 45


def test_every_project_setting_has_its_comment():
    """The configuration reference (docs/configuration.md) is made of these comments."""
    from crawler.docgen import settings_table

    missing = [row.name for row in settings_table() if row.name.startswith("THEPAPER_") and not row.doc]
    assert missing == []
