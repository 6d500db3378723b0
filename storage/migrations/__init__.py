"""Alembic environment and revisions of the archive schema."""
