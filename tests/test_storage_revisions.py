"""The migration scripts' revisions as storage.revisions reads them (without Alembic) are
Alembic's own; a script set with two heads is refused as Alembic refuses it."""

from __future__ import annotations

import shutil

import pytest

from storage import revisions
from storage.db import alembic_config


def test_the_same_revisions_and_head_as_alembic():
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert revisions.known_revisions() == {s.revision for s in scripts.walk_revisions()}
    assert revisions.head_revision() == scripts.get_current_head()
    for s in scripts.walk_revisions():
        down = s.down_revision
        assert revisions.graph()[s.revision] == (tuple(down) if isinstance(down, tuple) else (down,) if down else ())


def test_two_heads_are_refused_and_annotated_assignments_read(tmp_path, monkeypatch):
    for path in revisions.VERSIONS.glob("*.py"):
        shutil.copy(path, tmp_path / path.name)
    head = revisions.head_revision()
    (tmp_path / "9998_branch.py").write_text(
        f'revision: str = "9998_branch"\ndown_revision: str | None = "{head}"\n', encoding="utf-8"
    )
    monkeypatch.setattr(revisions, "VERSIONS", tmp_path)
    revisions.graph.cache_clear()
    try:
        assert revisions.head_revision() == "9998_branch"  # an annotated script is read
        (tmp_path / "9999_other.py").write_text(
            f'revision = "9999_other"\ndown_revision = "{head}"\n', encoding="utf-8"
        )
        revisions.graph.cache_clear()
        with pytest.raises(ValueError, match="several heads"):
            revisions.head_revision()
    finally:
        revisions.graph.cache_clear()


def test_current_revision_reads_alembics_version_table(tmp_path):
    import sqlalchemy as sa
    from alembic.runtime.migration import MigrationContext

    from storage.db import ArchiveError, current_revision, make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    try:
        assert current_revision(engine) is None  # an empty database
        upgrade(engine)
        with engine.connect() as conn:
            assert current_revision(engine) == MigrationContext.configure(conn).get_current_revision()
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO alembic_version VALUES ('0001')"))
        with pytest.raises(ArchiveError, match="several revisions"):
            current_revision(engine)
    finally:
        engine.dispose()


def test_an_archive_at_head_is_opened_without_importing_alembic(tmp_path):
    """upgrade() of an archive already at the head returns before Alembic is imported (a writing
    command's start); an archive behind it is migrated (Alembic imported then)."""
    import subprocess
    import sys

    from storage.db import upgrade

    current, behind = tmp_path / "current.sqlite3", tmp_path / "behind.sqlite3"
    upgrade(f"sqlite:///{current}")
    upgrade(f"sqlite:///{behind}", revision="0001")
    probe = (
        "import sys; from storage.db import upgrade, current_revision, make_engine; "
        "from storage.revisions import head_revision; upgrade(sys.argv[1]); "
        "assert current_revision(make_engine(sys.argv[1])) == head_revision(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic')[:1])"
    )
    for db, imported in ((current, "[]"), (behind, "['alembic']")):
        out = subprocess.run(
            [sys.executable, "-c", probe, f"sqlite:///{db}"], capture_output=True, text=True, check=True
        ).stdout
        assert out.strip() == imported, (db.name, out)
