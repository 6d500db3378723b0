"""The benchmark's results as the table it prints (see :mod:`bench.run`)."""

from __future__ import annotations


def _n(x: float) -> str:
    """A rate with the digits that matter (0.23, 4.1, 812)."""
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 1 else f"{x:.2f}"


def table(r: dict) -> str:
    rows = []
    add = rows.append
    sb = r["scrapy_bench"]
    add(
        (
            "engine",
            "scrapy bench (own server, 32 concurrent)",
            f"{sb['pages_per_s']:.0f} pages/s" if "pages_per_s" in sb else "n/a",
        )
    )
    for n, e in r["crawls"].items():
        ratio, ce, cr = e["ratio_to_ceiling"], e["ceiling_articles_per_s"], e["crawl_articles_per_s"]
        last, st = e["pairs"][-1], e["storage"]
        add(
            (
                f"{n}",
                f"engine ceiling vs mock (no pipelines), {ratio['n']} pairs",
                f"{ce['median']:.0f} articles/s (median; {ce['min']:.0f}-{ce['max']:.0f})",
            )
        )
        add(
            (
                f"{n}",
                "full crawl into SQLite, each right after its ceiling",
                f"{cr['median']:.0f} articles/s = {ratio['median']:.2f} x ceiling (median ratio; "
                f"{ratio['min']:.2f}-{ratio['max']:.2f})",
            )
        )
        add(
            (
                f"{n}",
                "CPU busy: crawler / mock (last crawl)",
                f"{last['crawl']['client_busy']:.0%} / {last['crawl']['mock_busy']:.0%}",
            )
        )
        add((f"{n}", "mock alone could serve", f"{last['crawl']['mock_ceiling_per_s']:.0f} responses/s"))
        if "corun" in e:
            co = e["corun"]["ratio"]
            add(
                (
                    f"{n}",
                    f"engine ceiling beside a process cleaning pages / alone, {co['n']} pairs",
                    f"{co['median']:.2f} x (median; {co['min']:.2f}-{co['max']:.2f}): what a second busy process "
                    "costs the engine here",
                )
            )
        add(
            (
                f"{n}",
                "peak RSS crawl / ceiling (median)",
                f"{e['crawl_peak_rss_mb']['median']:.0f} MB / {e['ceiling_peak_rss_mb']['median']:.0f} MB",
            )
        )
        add(
            (
                f"{n}",
                "database per article / raw compression",
                f"{st['bytes_per_article'] / 1024:.1f} KiB / {st['raw_compression_ratio']:.1f}x",
            )
        )
    b = r.get("crawl_bound")
    if b and "skipped" in b:
        add(("crawl", "CPU per article between the sizes", f"n/a: {b['skipped']}"))
    elif b:
        add(
            (
                "crawl",
                "CPU per article between the sizes: crawl / mock / ceiling",
                f"{b['crawl_ms_per_article']:.2f} / {b['mock_ms_per_article']:.2f} / {b['ceiling_ms_per_article']:.2f} ms",
            )
        )
        add(
            (
                "crawl",
                f"  all {b['cpus']} cores busy all the crawl would allow",
                f"{b['articles_per_s']:.0f} articles/s = {b['ratio_to_ceiling']:.2f} x ceiling; "
                f"the crawl reached {b['share_of_bound']:.0%} of it",
            )
        )
    rp, sbs = r["reprocess"], r["side_by_side"]
    for run, what in (
        (rp, ""),
        (rp.get("jobs_1"), ""),
        (rp.get("recomputed"), ", every keyword computed (bases cleared)"),
    ):
        if run:
            add(
                (
                    "reprocess",
                    f"thepaper-archive reprocess --jobs {run['jobs']} (wall, with startup){what}",
                    f"{run['articles_per_s']:.0f} articles/s = {run['ratio_to_trafilatura']:.1f} x trafilatura",
                )
            )
    add(
        (
            "reprocess",
            "clean_document / trafilatura.extract, same pages"
            + (f", fastest of {len(sbs['rounds']['ours'])} turns each" if "rounds" in sbs else ""),
            f"{sbs['ours']['pages_per_s']:.0f} / {sbs['trafilatura']['pages_per_s']:.0f} pages/s",
        )
    )
    if sbs["trafilatura"]["pages_per_s"]:
        add(
            (
                "reprocess",
                "  the same as a ratio",
                f"{sbs['ours']['pages_per_s'] / sbs['trafilatura']['pages_per_s']:.1f} x",
            )
        )
    if "clean_file" in r:
        from bench.oneshot import rows as clean_file_rows

        rows.extend(clean_file_rows(r["clean_file"]))
    for name, c in r["cleaning"].items():
        add(("cleaning", name, f"{_n(c['pages_per_s'])} articles/s, {_n(c['mb_per_s'])} MB/s ({c['pages']} pages)"))
    for name, d in r.get("decode", {}).items():
        add(
            (
                "decode",
                f"decode_bytes, 16 MiB of {name}",
                f"{d['seconds']:.2f} s ({d['mib_per_s']:.0f} MiB/s) = {d['ratio']:.1f} x bytes.decode -> {d['encoding']}",
            )
        )
    for name, t in r["tears"]["pages"].items():
        add(("tears", name, f"{_n(t['pages_per_s'])} pages/s, slowest {t['max_s']:.2f} s ({t['pages']} pages)"))
    for name, a in r["tears"]["accuracy"].items():  # none when asked for 0 paragraphs
        add(
            (
                "tears",
                f"accuracy, {a['paragraphs']} torn paragraphs, {name}",
                f"{a['restored']:.4f} of the characters restored (left torn: {a['unrepaired']:.4f})",
            )
        )
    m = r["memory"]
    add(
        (
            "memory",
            "crawl peak RSS small -> large",
            f"{m['crawl_small_mb']:.0f} -> {m['crawl_large_mb']:.0f} MB ({m['growth']:+.0%})",
        )
    )
    for name, so in r.get("scale_out", {}).items():
        if "skipped" in so:
            add(("scale-out", name, so["skipped"]))
            continue
        sit = so[name]
        runs = sit["runs"]
        what = (
            "bench profile, mock answers at once"
            if name == "cpu"
            else f"article pages take {sit['latency_s']}s, 8 in flight per worker"
        )
        add(
            (
                "scale-out",
                f"{so['articles']} articles, {what}",
                " / ".join(f"{n} worker{'s' if n != '1' else ''}: {x['articles_per_s']:.0f}" for n, x in runs.items())
                + f" articles/s = {sit['speedup']:.2f} x",
            )
        )
        steady = [x.get("steady_articles_per_s") for x in runs.values()]
        if all(steady):
            add(
                (
                    "scale-out",
                    "  the same without start-up (first to last commit)",
                    " / ".join(f"{n}: {v:.0f}" for n, v in zip(runs, steady))
                    + f" articles/s = {steady[-1] / steady[0]:.2f} x",
                )
            )
    if "readers" in r:
        from bench.readers import table_rows

        rows += table_rows(r["readers"])
    if "raw_codecs" in r:
        from bench.storage import rows as raw_codec_rows

        rows.extend(raw_codec_rows(r["raw_codecs"]))
    if "backfill" in r:
        from bench.backfill import table as backfill_rows

        rows.extend(("backfill", name, value) for name, value in backfill_rows(r["backfill"]))
    w = max(len(a) for a, _, _ in rows)
    w2 = max(len(b) for _, b, _ in rows)
    return "\n".join(f"{a:<{w}}  {b:<{w2}}  {c}" for a, b, c in rows)
