"""The raw archive's size and read speed: zlib (the archive's first codec) against zstd with a
dictionary trained on the archive's own pages, in one run, on the same pages.

``python -m bench.storage --db crawl.sqlite3`` (or :func:`measure` from :mod:`bench.run`):

1. the crawl's archive as it is now (zstd, the dictionary the crawl trained), then
   ``db compact`` (every row on a dictionary trained on the whole archive) and VACUUM;
2. the same archive as the code before 0005 wrote it: every body zlib level 6, JSON
   columns with ``\\uXXXX`` escapes (the reference, "today's");
3. bytes per article of the whole database file, and raw bytes / stored bytes, of each;
4. decompression of every raw page: zlib vs zstd with the dictionary (MB/s, same pages);
5. the same on pages as large as the real site's: the mock's pages with a
   ``__NEXT_DATA__`` grown to tens-hundreds of KB of realistic JSON (site notes §2: the
   whole article, related lists, node info, tag lists, image sets).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sqlite3
import sys
import time
import zlib
from pathlib import Path

from storage import codec

_NEXT = re.compile(rb'(<script id="__NEXT_DATA__" type="application/json">)(.*?)(</script>)', re.S)


def _db_bytes_per_article(db: Path) -> tuple[float, float]:
    """Bytes of the database (its pages in use, after VACUUM; WAL or not) per article, and raw
    bytes / stored bytes of ``raw_pages``."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages, size, free = (
            conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "page_size", "freelist_count")
        )
        n = conn.execute("select count(*) from articles").fetchone()[0]
        raw, stored = conn.execute("select sum(body_size), sum(length(body)) from raw_pages").fetchone()
    finally:
        conn.close()
    return (pages - free) * size / max(1, n), raw / max(1, stored)


def _whole_list_items(conn, rows) -> dict[int, dict]:
    """``{raw page id: context}`` with the whole list item again, taken from the archived list
    page that ``context["list_page"]`` names (the SHA-256 of its body): what 0008 no longer
    copies into every article page's context, and what shows that nothing of it was lost."""
    from crawler.listapi import parse_list_response
    from storage.codec import decode

    dicts = dict(conn.execute("select id, data from raw_dictionaries"))
    items: dict[str, dict] = {}
    out = {}
    for rid, context in rows:
        ctx = json.loads(context) if context else None
        sha = (ctx or {}).get("list_page")
        if not sha or "list_item" not in ctx:
            continue
        if sha not in items:
            row = conn.execute(
                "select body, compression, dictionary_id from raw_pages where sha256 = ? and kind = 'list' limit 1",
                (sha,),
            ).fetchone()
            page = parse_list_response(decode(row[0], row[1], dicts.get(row[2]))) if row else None
            items[sha] = {str(i.get("contId")): i for i in (page.items if page else [])}
        whole = items[sha].get(str(ctx["list_item"].get("contId")))
        if whole is not None:
            ctx = {**ctx, "list_item": whole}
            ctx.pop("list_page")
            out[rid] = ctx
    return out


def as_before(src: Path, dst: Path) -> None:
    """``dst``: ``src`` as the archive wrote it before revisions 0005 and 0008 (the reference,
    "today's" in issue 19): zlib bodies, JSON with ``\\uXXXX`` escapes, the body also stored
    as ``paragraphs`` and ``body_html``, each article page's context with the whole list item,
    SQLite's default 4 KiB pages."""
    from domain.record import paragraphs_of
    from storage.codec import decode
    from storage.render import body_html

    shutil.copyfile(src, dst)
    conn = sqlite3.connect(dst)
    try:
        dicts = dict(conn.execute("select id, data from raw_dictionaries"))
        rows = conn.execute("select id, body, compression, dictionary_id, headers, context from raw_pages").fetchall()
        whole = _whole_list_items(conn, [(r[0], r[5]) for r in rows])
        for rid, body, comp, did, headers, context in rows:
            raw = decode(body, comp, dicts.get(did))
            if rid in whole:
                context = json.dumps(whole[rid])
            conn.execute(
                "update raw_pages set body = ?, compression = 'zlib', dictionary_id = NULL, headers = ?, "
                "context = ? where id = ?",
                (zlib.compress(raw, 6), _escaped(headers), _escaped(context), rid),
            )
        conn.execute("delete from raw_dictionaries")
        conn.execute("alter table articles add column paragraphs JSON NOT NULL DEFAULT '[]'")
        conn.execute("alter table articles add column body_html TEXT NOT NULL DEFAULT ''")
        for cid, text, images in conn.execute("select cont_id, body_text, images from articles").fetchall():
            paragraphs = paragraphs_of(text)
            conn.execute(
                "update articles set paragraphs = ?, body_html = ? where cont_id = ?",
                (json.dumps(paragraphs), body_html(paragraphs, json.loads(images or "[]")), cid),
            )
        for table, cols in (
            ("articles", ("images", "repairs", "stripped")),
            ("article_versions", ("paragraphs",)),
            ("crawl_runs", ("args", "counters")),
        ):
            for row in conn.execute(f"select rowid, {', '.join(cols)} from {table}").fetchall():
                conn.execute(
                    f"update {table} set {', '.join(f'{c} = ?' for c in cols)} where rowid = ?",
                    (*(_escaped(v) for v in row[1:]), row[0]),
                )
        conn.commit()
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA page_size = 4096")
        conn.execute("VACUUM")
    finally:
        conn.close()


def _escaped(text):
    return None if text is None else json.dumps(json.loads(text))


def _read_speed(pages: list[bytes], dictionary: bytes) -> dict:
    """MB/s decoding every page, zlib level 6 vs zstd with ``dictionary`` (best of 3)."""
    z = [zlib.compress(p, 6) for p in pages]
    s = [codec.encode(p, dictionary) for p in pages]
    total = sum(map(len, pages)) / 1e6

    def best(fn) -> float:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return total / min(times)

    zlib_mb_s = best(lambda: [zlib.decompress(x) for x in z])
    zstd_mb_s = best(lambda: [codec.decode(x, "zstd", dictionary) for x in s])
    return {
        "pages": len(pages),
        "mb": round(total, 2),
        "zlib_ratio": sum(map(len, pages)) / sum(map(len, z)),
        "zstd_dict_ratio": sum(map(len, pages)) / sum(map(len, s)),
        "zlib_mb_s": zlib_mb_s,
        "zstd_dict_mb_s": zstd_mb_s,
        "read_speedup": zstd_mb_s / zlib_mb_s,
    }


def large_pages(pages: list[bytes], *, seed: int = 7, low: int = 40_000, high: int = 400_000) -> list[bytes]:
    """Article pages whose ``__NEXT_DATA__`` is grown to ``low``-``high`` bytes with what the real
    site carries there (site notes §2): related and recommended article lists with titles,
    summaries, covers, node infos and tag lists, taken from other pages and varied per page."""
    rng = random.Random(seed)
    snippets = []
    for page in pages:
        m = _NEXT.search(page)
        if m:
            try:
                detail = json.loads(m.group(2))["props"]["pageProps"]["detailData"]["contentDetail"]
            except (ValueError, KeyError, TypeError):
                continue
            if not isinstance(detail, dict):
                continue
            snippets.append(
                {
                    k: detail.get(k)
                    for k in ("contId", "name", "summary", "pubTime", "nodeInfo", "tagList", "pic", "author")
                }
            )
    out = []
    for page in pages:
        m = _NEXT.search(page)
        if not m or not snippets:
            continue
        data = json.loads(m.group(2))
        target = rng.randint(low, high)
        related, size = [], len(m.group(2))
        while size < target:
            item = dict(rng.choice(snippets))
            item["contId"] = str(rng.randint(20_000_000, 33_000_000))
            item["interactionNum"] = str(rng.randint(0, 9999))
            item["praiseTimes"] = str(rng.randint(0, 99999))
            item["pubTimeLong"] = rng.randint(1_600_000_000_000, 1_780_000_000_000)
            item["pic"] = (
                f"https://imgpai.thepaper.cn/newpai/image/{rng.randint(10**12, 10**13)}_{rng.randrange(16**6):06x}.jpg"
            )
            related.append(item)
            size += len(json.dumps(item, ensure_ascii=False).encode())
        page_props = data.setdefault("props", {}).setdefault("pageProps", {})
        half = len(related) // 2
        page_props["relatedContList"] = related[:half]
        page_props["recommendContList"] = related[half:]
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        out.append(page[: m.start(2)] + text + page[m.end(2) :])
    return out


def measure(db: Path, workdir: Path, *, large: int = 120) -> dict:
    """Every figure of the module doc, on the crawl archive ``db`` (left as it was)."""
    from storage.compact import compact_archive
    from storage.db import open_archive
    from storage.dictionaries import dictionary_bytes, newest_dictionary, sample_pages

    workdir.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(db) as conn:  # the copies below take the file alone: no page left in the WAL
        conn.execute("pragma wal_checkpoint(truncate)")
    before, after = workdir / "before.sqlite3", workdir / "compacted.sqlite3"
    as_before(db, before)
    shutil.copyfile(db, after)
    shutil.copyfile(db, workdir / "crawl_copy.sqlite3")
    crawl_bpa, crawl_ratio = _db_bytes_per_article(workdir / "crawl_copy.sqlite3")
    engine, Session = open_archive(f"sqlite:///{after}")
    try:
        t0 = time.perf_counter()
        counts, _ = compact_archive(Session)
        compact_s = time.perf_counter() - t0
        with Session() as s:
            dictionary = dictionary_bytes(s, [newest_dictionary(s).id]).popitem()[1]
            pages = sample_pages(s, samples=10**6, max_bytes=256 * 2**20)
    finally:
        engine.dispose()
    ref_bpa, ref_ratio = _db_bytes_per_article(before)
    new_bpa, new_ratio = _db_bytes_per_article(after)
    big = large_pages(pages[: large * 2])[:large]
    train_on, test_on = big[::2], big[1::2]
    big_dict = codec.train(train_on)
    result = {
        "before": {"bytes_per_article": ref_bpa, "raw_ratio": ref_ratio},
        "crawl": {"bytes_per_article": crawl_bpa, "raw_ratio": crawl_ratio},
        "compacted": {
            "bytes_per_article": new_bpa,
            "raw_ratio": new_ratio,
            "compact_s": compact_s,
            "pages": counts["pages"],
        },
        "bytes_per_article_gain": ref_bpa / new_bpa,
        "crawl_bytes_per_article_gain": ref_bpa / crawl_bpa,
        "read": _read_speed(pages, dictionary),
        "large_pages": {
            "sizes_kb": [round(min(map(len, big)) / 1024), round(max(map(len, big)) / 1024)],
            "trained_on": len(train_on),
            **_read_speed(test_on, big_dict),
        },
    }
    for p in (before, after, workdir / "crawl_copy.sqlite3"):
        p.unlink(missing_ok=True)
    return result


def rows(r: dict) -> list[tuple[str, str, str]]:
    """Lines of the bench table."""
    b, c, n, rd, lg = r["before"], r["crawl"], r["compacted"], r["read"], r["large_pages"]
    return [
        (
            "raw archive",
            "database per article: before 0005+0008 / crawl now / after db compact",
            f"{b['bytes_per_article'] / 1024:.1f} / {c['bytes_per_article'] / 1024:.1f} / "
            f"{n['bytes_per_article'] / 1024:.1f} KiB = {r['crawl_bytes_per_article_gain']:.2f} / "
            f"{r['bytes_per_article_gain']:.2f} x smaller",
        ),
        (
            "raw archive",
            "raw bytes / stored bytes: zlib / crawl now / compacted",
            f"{b['raw_ratio']:.1f} / {c['raw_ratio']:.1f} / {n['raw_ratio']:.1f} x",
        ),
        (
            "raw archive",
            f"decompression, mock pages ({rd['pages']}, {rd['mb']} MB): zlib / zstd+dict",
            f"{rd['zlib_mb_s']:.0f} / {rd['zstd_dict_mb_s']:.0f} MB/s = {rd['read_speedup']:.2f} x",
        ),
        (
            "raw archive",
            f"large pages ({lg['sizes_kb'][0]}-{lg['sizes_kb'][1]} KB, {lg['pages']}): ratio zlib / zstd+dict",
            f"{lg['zlib_ratio']:.1f} / {lg['zstd_dict_ratio']:.1f} x",
        ),
        (
            "raw archive",
            "large pages: decompression zlib / zstd+dict",
            f"{lg['zlib_mb_s']:.0f} / {lg['zstd_dict_mb_s']:.0f} MB/s = {lg['read_speedup']:.2f} x",
        ),
    ]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.storage", description=__doc__.split("\n\n")[0])
    p.add_argument("--db", required=True, help="a crawl archive (SQLite file)")
    p.add_argument("--workdir", default=None)
    args = p.parse_args(argv)
    import tempfile

    work = Path(args.workdir or tempfile.mkdtemp(prefix="thepaper-bench-storage-"))
    result = measure(Path(args.db), work)
    for a, b, c in rows(result):
        print(f"{a:<12} {b:<75} {c}")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
