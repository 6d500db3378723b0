"""The generated references are the code's: docs/configuration.md (from crawler/settings.py) and
docs/cli.md (from the argparse parsers) fail this test when they drift; ``python -m
crawler.docgen`` writes them again."""

from __future__ import annotations

import subprocess
import sys

import pytest

from crawler import docgen


@pytest.mark.parametrize("path", sorted(docgen.documents(), key=str), ids=lambda p: p.name)
def test_the_committed_reference_is_what_the_code_generates(path):
    assert path.read_text(encoding="utf-8") == docgen.documents()[path], (
        f"{path.name} drifted from the code: run python -m crawler.docgen"
    )


def test_every_setting_and_command_is_in_its_reference():
    from crawler import settings
    from crawler.cli import build_parser

    config = docgen.configuration_md()
    assert [n for n in dir(settings) if n.isupper() and f"`{n}`" not in config] == []
    cli = docgen.cli_md()
    parser = build_parser()
    names = [path for path, _help, _parser in docgen._commands(parser)]
    assert {"crawl", "import", "export", "db"} <= {p[0] for p in names}
    assert all(f"## thepaper-archive {' '.join(p)}\n" in cli for p in names)


def test_a_comment_in_the_settings_module_is_its_settings_documentation():
    rows = docgen.settings_table("""
# --- A section ----
#: One line
#: and its continuation.
A_SETTING = 3
B = {"x": 1}  # trailing
c = 4
#: Not attached: a blank line follows.

D = 5
""")
    assert [(r.section, r.name, r.default, r.doc) for r in rows] == [
        ("A section", "A_SETTING", "3", "One line and its continuation."),
        ("A section", "B", '{"x": 1}', "trailing"),
        ("A section", "D", "5", ""),
    ]


def test_check_fails_on_a_drifted_file(tmp_path, monkeypatch):
    stale = tmp_path / "cli.md"
    stale.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(docgen, "CLI_MD", stale)
    monkeypatch.setattr(docgen, "ROOT", tmp_path)
    monkeypatch.setattr(docgen, "documents", lambda: {stale: "new\n"})
    assert docgen.main(["--check"]) == 1
    assert stale.read_text(encoding="utf-8") == "old\n"
    assert docgen.main([]) == 0 and docgen.main(["--check"]) == 0


def test_the_check_as_typed_passes_on_the_committed_files():
    done = subprocess.run([sys.executable, "-m", "crawler.docgen", "--check"], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")
