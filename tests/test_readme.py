"""The README is short and true: at most 12 KB; the two commands exactly as scripts/ has them;
every command, setting, script and page it names exists. The docs/ pages name only real settings."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
#: Names read from the environment only (not settings): crash files, the alert hook's own
#: variables, the tests' and the benchmarks' databases.
ENVIRONMENT_ONLY = {
    "THEPAPER_CRASH_DIR",
    "THEPAPER_ALERT_TEXT",
    "THEPAPER_ALERT_FILE",
    "THEPAPER_TEST_PG_URL",
    "THEPAPER_TEST_WORKERS",
    "THEPAPER_BENCH_PG_URL",
    "THEPAPER_CACHE_DIR",
}


def readme() -> str:
    return README.read_text(encoding="utf-8")


def known_settings() -> set[str]:
    from crawler.config import ENV_ALIASES, _scrapy_names, defaults

    return set(defaults()) | set(ENV_ALIASES) | _scrapy_names() | ENVIRONMENT_ONLY


def test_the_readme_is_at_most_12_kb():
    assert len(README.read_bytes()) <= 12 * 1024


def test_the_two_commands_are_there_exactly():
    text = readme()
    assert (
        "scripts/crawl.sh          # the main job: crawl thepaper.cn's technology lists into ./data/archive.sqlite3"
        in text
    )
    assert "scripts/test.sh           # the whole test suite (offline: it crawls a local mock of the site)" in text
    assert (ROOT / "scripts" / "crawl.sh").is_file() and (ROOT / "scripts" / "test.sh").is_file()


def named_commands(text: str) -> set[tuple[str, ...]]:
    """``thepaper-archive db compact`` -> ("db", "compact"): the words after the program name that are
    not options, arguments or shell syntax."""
    out = set()
    for match in re.finditer(r"thepaper-archive((?: [a-z][a-z-]*)+)", text):
        out.add(tuple(match.group(1).split()))
    return out


def test_every_command_the_readme_names_exists():
    from crawler import docgen
    from crawler.cli import build_parser

    real = {path for path, _help, _parser in docgen._commands(build_parser())}
    named = named_commands(readme())
    assert named, "the README names no command"
    # the longest prefix of what follows the program name that is a command: the rest are arguments
    unknown = [words for words in named if not any(words[:n] in real for n in (2, 1))]
    assert unknown == []
    table = {
        row.split("`")[1].removeprefix("thepaper-archive ")
        for row in readme().splitlines()
        if row.startswith("| `thepaper-archive ")
    }
    assert table == {" ".join(p) for p in real if p != ("db",)}, "the command table lists every command once"


def test_a_made_up_command_would_be_caught():
    from crawler import docgen
    from crawler.cli import build_parser

    real = {path for path, _help, _parser in docgen._commands(build_parser())}
    named = named_commands("run `thepaper-archive fetch --all` then `thepaper-archive db shrink`")
    assert [w for w in named if not any(w[:n] in real for n in (2, 1))] != []


def test_every_setting_the_readme_and_the_docs_name_exists():
    pages = [README, *sorted((ROOT / "docs").glob("*.md"))]
    unknown = {}
    for page in pages:
        names = set(re.findall(r"\b(THEPAPER_[A-Z0-9_]*[A-Z0-9])\b", page.read_text(encoding="utf-8")))
        if bad := names - known_settings():
            unknown[page.name] = sorted(bad)
    assert unknown == {}


def test_every_file_the_readme_links_or_names_exists():
    text = readme()
    targets = set(re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)) | set(re.findall(r"`(scripts/[a-z.]+)", text))
    missing = [t for t in targets if not t.startswith("http") and not (ROOT / t).exists()]
    assert missing == []


def test_anchors_the_readme_links_to_exist():
    missing = []
    for page, anchor in re.findall(r"\]\((docs/[a-z-]+\.md)#([a-z0-9-]+)\)", readme()):
        headings = re.findall(r"^#+ (.+)$", (ROOT / page).read_text(encoding="utf-8"), flags=re.M)
        slugs = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}
        if anchor not in slugs:
            missing.append(f"{page}#{anchor}")
    assert missing == []
