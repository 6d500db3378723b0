"""The archive database: every write and every read of it.

* :mod:`storage.db` — where the archive lives, engines, sessions, migrations (Alembic,
  ``storage/migrations``); :mod:`storage.preflight` — what a ``--db`` holds, judged (and a SQLite
  file's pages checked) before anything is written; :mod:`storage.models` — the schema (SQLAlchemy 2.0 typed models);
  :mod:`storage.views` — views and the full-text index.
* Writes, by concern (the caller commits): :mod:`storage.raw` (raw pages; their codecs in
  :mod:`storage.codec`, pure, and the trained zstd dictionaries in :mod:`storage.dictionaries`),
  :mod:`storage.articles` (compare, save, versions, tags: one batch save path),
  :mod:`storage.fulltext` (the search index's bulk writes, in the same transaction),
  :mod:`storage.failures`, :mod:`storage.runs` (runs, list cursors, run locks),
  :mod:`storage.batch` (a crawl's fetched pages with their articles or failures),
  :mod:`storage.writers` (the crawl's writer thread, off the reactor), :mod:`storage.worker` (the
  writer as a process that also cleans),
  :mod:`storage.compact` (``db compact``: raw pages re-encoded in resumable batches).
* Reads for analysis: :mod:`storage.stats`, :mod:`storage.search`, :mod:`storage.export`,
  :mod:`storage.lookup` (one article with its history, the failures: ``show``, ``failures``),
  :mod:`storage.warc_out` (the raw pages as WARC/1.1),
  :mod:`storage.report`, :mod:`storage.schema_doc`; :mod:`storage.coverage` (runs' field
  coverage, its sums and the trailing coverage a run is judged against).
* :mod:`storage.unwritable` — a full disk, a read-only or unreachable database, as one error.
* Small helpers: :mod:`storage.types`, :mod:`storage.render`, :mod:`storage.proc`.

May use: ``domain`` only. Never ``pipelines`` or ``crawler`` (a writer that cleans is given
its cleaning function by the caller).
"""
