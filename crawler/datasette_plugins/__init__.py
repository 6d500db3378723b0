"""Datasette plugins of the archive, loaded with ``datasette --plugins-dir`` (``browse`` does it)."""
