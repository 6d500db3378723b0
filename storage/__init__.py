"""The archive database.

* :mod:`storage.db` — where the archive lives, engines, sessions, migrations.
* :mod:`storage.models` — the schema (SQLAlchemy 2.0 typed models).
* :mod:`storage.repository` — every write (the caller commits).
* :mod:`storage.types`, :mod:`storage.render`, :mod:`storage.proc` — small helpers.
"""
