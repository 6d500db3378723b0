"""Raw pages in zstd with dictionaries trained on the archive's own pages.

* ``raw_dictionaries``: the trained zstd dictionaries.
* ``raw_pages.context`` may also hold the request and, for WARC imports, where the capture came from
  (comment only).
* ``raw_pages.dictionary_id``: the dictionary a zstd body was compressed with (NULL:
  none). ``raw_pages.compression`` already names the codec; rows written before this
  revision stay ``zlib`` and readable, and ``thepaper-archive db compact`` re-encodes them.

No data is rewritten here: on SQLite the column is added in place (no copy of the
raw archive).

Revision ID: 0005_raw_zstd
Revises: 0004_fts_deferred
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_raw_zstd"
down_revision = "0004_fts_deferred"
branch_labels = None
depends_on = None

_COMPRESSION = ("codec of body: zstd (with the dictionary in dictionary_id, or none when it is NULL), "
                "zlib (rows written before 0005), none")
_OLD_COMPRESSION = "compression of body: zlib"
_TABLE = ("Every fetched or imported page, byte for byte (compressed: zstd with a trained dictionary, "
          "or zlib in older rows).")
_FK = "fk_raw_pages_dictionary_id_raw_dictionaries"
_CONTEXT = ("how the page was reached: JSON with the URL it is cleaned under (url), the list API item "
            "(list_item) and channel_id, so that reprocessing sees what the crawl saw; the request "
            "(request: method, url, headers, body); for WARC imports the file, record id and offset (warc)")
_OLD_CONTEXT = ("how the page was reached: JSON with the list API item (list_item) and channel_id, "
                "so that reprocessing sees what the crawl saw")
_OLD_TABLE = "Every fetched or imported page, byte for byte (zlib-compressed)."


def upgrade() -> None:
    op.create_table(
        'raw_dictionaries',
        sa.Column('id', sa.Integer(), comment='surrogate key'),
        sa.Column('codec', sa.String(16), nullable=False, comment='codec the dictionary is for: zstd'),
        sa.Column('zstd_dict_id', sa.BigInteger(), nullable=False,
                  comment='the id zstd writes into the frames made with it'),
        sa.Column('data', sa.LargeBinary(), nullable=False, comment='the dictionary itself'),
        sa.Column('samples', sa.Integer(), nullable=False, comment='raw pages it was trained on'),
        sa.Column('sample_bytes', sa.BigInteger(), nullable=False, comment='uncompressed bytes of those pages'),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False, comment='when it was trained'),
        sa.PrimaryKeyConstraint('id', name='pk_raw_dictionaries'),
        comment="zstd dictionaries trained on the archive's own pages; raw_pages rows name the one they were "
                "compressed with. Never deleted while a row uses it.",
    )
    if op.get_bind().dialect.name == "sqlite":
        # in place: SQLite adds a column with a foreign key without copying the table,
        # which Alembic's batch mode would do (the whole raw archive)
        op.execute(f"ALTER TABLE raw_pages ADD COLUMN dictionary_id INTEGER CONSTRAINT {_FK} "
                   "REFERENCES raw_dictionaries (id)")
    else:
        op.add_column('raw_pages', sa.Column(
            'dictionary_id', sa.Integer(),
            sa.ForeignKey("raw_dictionaries.id", name=_FK), nullable=True,
            comment='raw_dictionaries row of the zstd dictionary body was compressed with; NULL for none'))
        # SQLite keeps no comments
        op.alter_column('raw_pages', 'compression', existing_type=sa.String(16), existing_nullable=False,
                        comment=_COMPRESSION, existing_comment=_OLD_COMPRESSION)
        op.alter_column('raw_pages', 'context', existing_type=sa.JSON(), existing_nullable=True,
                        comment=_CONTEXT, existing_comment=_OLD_CONTEXT)
        op.create_table_comment('raw_pages', _TABLE, existing_comment=_OLD_TABLE)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column('raw_pages', 'compression', existing_type=sa.String(16), existing_nullable=False,
                        comment=_OLD_COMPRESSION, existing_comment=_COMPRESSION)
        op.alter_column('raw_pages', 'context', existing_type=sa.JSON(), existing_nullable=True,
                        comment=_OLD_CONTEXT, existing_comment=_CONTEXT)
        op.create_table_comment('raw_pages', _OLD_TABLE, existing_comment=_TABLE)
    with op.batch_alter_table('raw_pages') as batch:
        batch.drop_column('dictionary_id')
    op.drop_table('raw_dictionaries')
