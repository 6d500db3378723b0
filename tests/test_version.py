"""One version: pyproject.toml's, the installed distribution's, `thepaper-archive --version`'s, the
changelog's newest release and the User-Agent's all agree."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

from tests.conftest import cli_env

ROOT = Path(__file__).resolve().parent.parent


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def test_version_as_typed_is_the_projects():
    done = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "--version"],
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"thepaper-archive {project_version()}"
    assert version("thepaper-archive") == project_version()  # installed from this checkout


def test_the_changelog_names_the_version_as_its_newest_release():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", text, flags=re.M)
    assert releases and releases[0] == project_version()
    assert "## [Unreleased]" in text


def test_the_user_agent_names_the_version():
    from crawler import settings

    major_minor = ".".join(project_version().split(".")[:2])
    assert settings.USER_AGENT.endswith(f"thepaper-archive/{major_minor}")
