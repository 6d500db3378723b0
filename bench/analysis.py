"""The analysis readers' speed, each beside a reference measured in the same run on the same
archive: ``python -m bench.analysis [--articles N] [--repeat R]``.

1. export: every format (``csv``, ``csv --excel``, ``xlsx``, ``parquet``) in rows/s, and its
   ratio to ``jsonl`` (the reference: the same rows, the simplest writer);
2. search: a query in Traditional characters looked for in its Simplified forms too
   (:func:`cleaning.repair.traditional.query_forms`, what the command does by default) beside
   the same words typed in Simplified (the same hits, no conversion), and a search with filters
   (``--since``, ``--column``, ``--tag``) beside the same search without, as ratios of the
   median time.

The archive: ``N`` articles of the mock's data set (``mocksite.dataset``), saved through the one
save path into a new SQLite file. Best (export) or median (search) of ``R`` repeats.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from domain.record import ArticleRecord
from mocksite.dataset import Dataset
from cleaning.repair.traditional import query_forms
from storage.articles import save_articles
from storage.db import open_archive
from storage.export import FORMATS, export
from storage.models import Article, Tag
from storage.search import Filters, search

#: (typed in Traditional, the same words in Simplified): the reference is the Simplified query as typed.
QUERIES = (("人工智慧 晶片", "人工智能 芯片"), ("量子計算", "量子计算"), ("機器人 演算法", "机器人 算法"))


def build(path: Path, n: int) -> None:
    """``n`` mock articles in a new archive at ``path``."""
    ds = Dataset(n, seed=7)
    now = datetime.now(timezone.utc)
    engine, Session = open_archive(f"sqlite:///{path}", create=True)
    try:
        with Session() as s:
            items = []
            for a in ds.articles():
                rec = ArticleRecord(
                    cont_id=a.cont_id,
                    url=f"https://www.thepaper.cn/newsDetail_forward_{a.cont_id}",
                    title=a.title,
                    summary=a.summary,
                    published_at=a.pub_time,
                    author=a.author,
                    node_id=a.node_id,
                    node_name=a.node_name,
                    channel_id=a.channel_id,
                    channel_name=a.channel_name,
                    tags=list(a.tags),
                    paragraphs=a.expected_paragraphs or [a.title],
                )
                items.append((rec, None))
            for i in range(0, len(items), 500):
                save_articles(s, items[i : i + 500], now=now)
            s.commit()
    finally:
        engine.dispose()


def _timed(fn, repeat: int, pick=min) -> float:
    """Seconds of ``fn()``: ``pick`` (min: the best, or statistics.median) of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return pick(times)


def export_figures(Session, repeat: int) -> dict:
    variants = [(f, {}) for f in FORMATS] + [("csv", {"bom": True})]
    out = {}
    with Session() as s:
        export(s, "jsonl", io.StringIO())  # warm the caches: the first format timed is not the cold one
        for fmt, kw in variants:
            name = fmt + (" --excel" if kw else "")
            rows = {}

            def run():
                stream = io.BytesIO() if fmt in ("parquet", "xlsx") else io.StringIO()
                rows["n"] = export(s, fmt, stream, **kw)

            seconds = _timed(run, repeat)
            out[name] = {"rows": rows["n"], "seconds": seconds, "rows_per_s": rows["n"] / seconds}
    ref = out["jsonl"]["rows_per_s"]
    for v in out.values():
        v["ratio_to_jsonl"] = v["rows_per_s"] / ref
    return out


def search_figures(Session, repeat: int) -> dict:
    out = {}
    with Session() as s:
        newest = s.execute(sa.select(sa.func.max(Article.published_at))).scalar()
        node = s.execute(
            sa.select(Article.node_id).group_by(Article.node_id).order_by(sa.func.count().desc()).limit(1)
        ).scalar()
        tag = s.execute(sa.select(Tag.name).limit(1)).scalar()
        filters = Filters(since=newest - timedelta(days=30), node_ids=(node,), tags=(tag,))
        for q, simplified in QUERIES:
            typed = _timed(lambda q=simplified: search(s, q, limit=20), repeat, statistics.median)
            forms = _timed(lambda q=q: search(s, q, limit=20, forms=query_forms), repeat, statistics.median)
            out[q] = {
                "simplified_s": typed,
                "with_forms_s": forms,
                "forms_ratio": forms / typed,
                "hits_with_forms": len(search(s, q, limit=1000, forms=query_forms)),
                "hits_simplified": len(search(s, simplified, limit=1000)),
                "hits_as_typed": len(search(s, q, limit=1000)),
            }
        plain = _timed(lambda: search(s, "的", limit=20), repeat, statistics.median)
        filtered = _timed(lambda: search(s, "的", limit=20, filters=filters), repeat, statistics.median)
        out["filters"] = {"plain_s": plain, "filtered_s": filtered, "ratio": filtered / plain}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=2000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--output", help="write the figures as JSON here too")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.sqlite3"
        build(path, args.articles)
        engine, Session = open_archive(f"sqlite:///{path}")
        try:
            figures = {
                "articles": args.articles,
                "export": export_figures(Session, args.repeat),
                "search": search_figures(Session, args.repeat),
            }
        finally:
            engine.dispose()
    print(f"{args.articles} articles, best of {args.repeat}")
    for name, f in figures["export"].items():
        print(f"  export {name:<12} {f['rows_per_s']:>9.0f} rows/s  ×{f['ratio_to_jsonl']:.2f} of jsonl")
    for q, f in figures["search"].items():
        if q == "filters":
            print(f"  search with filters   ×{f['ratio']:.2f} of the same search without")
        else:
            print(
                f"  search {q:<10} with Simplified forms ×{f['forms_ratio']:.2f} of the Simplified query "
                f"({f['hits_with_forms']} hits, Simplified {f['hits_simplified']}, as typed {f['hits_as_typed']})"
            )
    if args.output:
        Path(args.output).write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
