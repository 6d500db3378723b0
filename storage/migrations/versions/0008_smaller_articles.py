"""A smaller archive: the article body is stored once, as ``body_text``.

``articles.paragraphs`` (a JSON list) and ``articles.body_html`` held the same text a second
and a third time: 2.3 KiB of the 4.8 KiB of an article row, measured in bench/README. Both
are still there on reading, generated from what is stored: the paragraphs are the lines of
``body_text`` (:func:`domain.record.paragraphs_of`; ``body_text`` was always the paragraphs
joined by newlines), the HTML is :func:`storage.render.body_html` of them and the image
captions (``Article.paragraphs``, ``Article.body_html``, ``show``, the exports). In SQL, a
paragraph is a line of ``body_text``. ``article_versions.paragraphs`` stays (versions are few).

Revision ID: 0008_smaller_articles
Revises: 0007_keywords
Create Date: 2026-12-02
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0008_smaller_articles"
down_revision = "0007_keywords"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain DROP COLUMNs (SQLite 3.35+): a batch copy of the table would break the views and
    # the full-text triggers that read it
    op.drop_column("articles", "body_html")
    op.drop_column("articles", "paragraphs")


def downgrade() -> None:
    from domain.record import paragraphs_of
    from storage.render import body_html

    op.add_column("articles", sa.Column(
        "paragraphs", sa.JSON(), nullable=False,
        server_default=sa.text("'[]'"), comment="clean body as a JSON list of paragraph strings"))
    op.add_column("articles", sa.Column(
        "body_html", sa.Text(), nullable=False, server_default=sa.text("''"),
        comment="cleaned HTML generated from paragraphs and image captions (<p> per paragraph, escaped); "
                "never raw site HTML"))
    conn = op.get_bind()
    for cont_id, body_text, images in conn.execute(sa.text("SELECT cont_id, body_text, images FROM articles")).all():
        paragraphs = paragraphs_of(body_text)
        imgs = json.loads(images) if isinstance(images, str) else images or []
        conn.execute(sa.text("UPDATE articles SET paragraphs = :p, body_html = :h WHERE cont_id = :c"),
                     {"p": json.dumps(paragraphs, ensure_ascii=False), "h": body_html(paragraphs, imgs), "c": cont_id})
