"""The backfill paths and the exports' memory, measured on a crawl's archive.

* **WARC import**: the archive written out by our own ``export --format warc``, then
  ``import --warc`` of that file into a new archive (wall time with start-up, as a user runs
  it), beside the time ``warcio`` alone takes to iterate the same file and read every record's
  payload (in a child process of its own, with its start-up too); ratio and articles/s.
* **reprocess** of the imported archive (default ``--jobs``), articles/s.
* **exports**: peak RSS (``bench.launch``: the command's own ``VmHWM``) and rows/s of every
  format (jsonl, csv, xlsx in openpyxl's write-only mode, parquet in row groups, warc) on each
  archive given, so that the bench shows whether memory stays flat from the small archive to
  the large one.

Alone: ``python -m bench.backfill --db crawl.sqlite3 [--db larger.sqlite3]``.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
from pathlib import Path

from bench.offline import reprocess
from bench.procs import PY, _check, run_child

EXPORT_FORMATS = ("jsonl", "csv", "xlsx", "parquet", "warc")

_WARCIO_ALONE = """
import sys, time
from warcio.archiveiterator import ArchiveIterator
t0 = time.perf_counter()
records = payload = 0
with open(sys.argv[1], "rb") as fh:
    for rec in ArchiveIterator(fh):
        records += 1
        payload += len(rec.content_stream().read())
print(records, payload, time.perf_counter() - t0)
"""


def _articles(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("select count(*) from articles").fetchone()[0]


def warc_import(db: Path, workdir: Path) -> dict:
    """Export ``db`` as WARC, import it into a new archive, reprocess that; the figures."""
    warc = workdir / "backfill.warc.gz"
    res = run_child([PY, "-m", "crawler.cli", "export", "--db", f"sqlite:///{db}", "--format", "warc", "-o", str(warc)])
    _check(res, "export --format warc")
    alone = run_child([PY, "-c", _WARCIO_ALONE, str(warc)])
    _check(alone, "warcio alone")
    records, payload, iterate_s = alone["stdout"].split()
    target = workdir / "backfill.sqlite3"
    target.unlink(missing_ok=True)
    imp = run_child([PY, "-m", "crawler.cli", "import", "--warc", str(warc), "--db", f"sqlite:///{target}", "-q"])
    _check(imp, "import --warc")
    n = _articles(target)
    single = workdir / "backfill-jobs1.sqlite3"  # the same import cleaning in its own process
    single.unlink(missing_ok=True)
    cmd = [PY, "-m", "crawler.cli", "import", "--warc", str(warc), "--db", f"sqlite:///{single}", "-q", "--jobs", "1"]
    imp1 = run_child(cmd)
    _check(imp1, "import --warc --jobs 1")
    single.unlink(missing_ok=True)
    out = {
        "warc_bytes": warc.stat().st_size,
        "records": int(records),
        "payload_bytes": int(payload),
        "warcio_wall_s": alone["wall_s"],
        "warcio_iterate_s": float(iterate_s),
        "warcio_cpu_s": alone["cpu_s"],
        "import_wall_s": imp["wall_s"],
        "import_cpu_s": imp["cpu_s"],
        "import_peak_rss_mb": imp["peak_rss_mb"],
        "articles": n,
        "import_articles_per_s": n / imp["wall_s"],
        "import_over_warcio": imp["wall_s"] / alone["wall_s"],
        "import_over_warcio_cpu": imp["cpu_s"] / max(1e-9, alone["cpu_s"]),
        "summary": imp["stderr"].strip().splitlines()[-1] if imp["stderr"].strip() else "",
        "jobs_1": {"wall_s": imp1["wall_s"], "cpu_s": imp1["cpu_s"], "articles_per_s": n / imp1["wall_s"]},
    }
    out["reprocess"] = reprocess(target)
    out["import_over_reprocess"] = imp["wall_s"] / out["reprocess"]["wall_s"]
    warc.unlink(missing_ok=True)
    return out


def exports(dbs: list[Path], workdir: Path) -> dict:
    """Peak RSS and rows/s of every export format on each archive."""
    out: dict = {}
    for db in dbs:
        n = _articles(db)
        row: dict = {"articles": n}
        for fmt in EXPORT_FORMATS:
            target = workdir / f"export.{fmt}"
            res = run_child(
                [PY, "-m", "crawler.cli", "export", "--db", f"sqlite:///{db}", "--format", fmt, "-o", str(target)]
            )
            _check(res, f"export --format {fmt}")
            row[fmt] = {
                "peak_rss_mb": res["peak_rss_mb"],
                "wall_s": res["wall_s"],
                "rows_per_s": n / res["wall_s"],
                "bytes": target.stat().st_size,
            }
            target.unlink(missing_ok=True)
        out[str(n)] = row
    sizes = sorted(out, key=int)
    if len(sizes) >= 2:
        small, large = out[sizes[0]], out[sizes[-1]]
        out["growth"] = {fmt: large[fmt]["peak_rss_mb"] / small[fmt]["peak_rss_mb"] - 1 for fmt in EXPORT_FORMATS}
    return out


def table(r: dict) -> list[tuple[str, str]]:
    """Rows for the bench's printed table."""
    rows = []
    w = r.get("warc_import")
    if w:
        rows.append(
            (
                "WARC import (ours, exported)",
                f"{w['articles']:,} articles in {w['import_wall_s']:.1f}s = "
                f"{w['import_articles_per_s']:,.0f} articles/s; warcio alone {w['warcio_wall_s']:.1f}s "
                f"(import = {w['import_over_warcio']:.1f} x warcio; CPU {w['import_cpu_s']:.1f} / "
                f"{w['warcio_cpu_s']:.1f} s = {w['import_over_warcio_cpu']:.1f} x), {w['import_peak_rss_mb']:.0f} MB",
            )
        )
        if "jobs_1" in w:
            j1 = w["jobs_1"]
            rows.append(
                (
                    "WARC import --jobs 1",
                    f"{j1['articles_per_s']:,.0f} articles/s ({j1['wall_s']:.1f}s, CPU {j1['cpu_s']:.1f} s); "
                    f"default --jobs = {j1['wall_s'] / w['import_wall_s']:.2f} x faster; "
                    f"import / reprocess time {w['import_over_reprocess']:.2f} x",
                )
            )
        rp = w["reprocess"]
        rows.append(
            (
                "reprocess of the imported archive",
                f"{rp['articles_per_s']:,.0f} articles/s "
                f"({rp['wall_s']:.1f}s, --jobs {rp['jobs']}), {rp['peak_rss_mb']:.0f} MB",
            )
        )
    ex = r.get("exports") or {}
    for size, row in ex.items():
        if size == "growth":
            continue
        rows.append(
            (
                f"export peak RSS, {int(size):,} articles",
                ", ".join(f"{fmt} {row[fmt]['peak_rss_mb']:.0f} MB" for fmt in EXPORT_FORMATS),
            )
        )
    if "growth" in ex:
        rows.append(("export peak RSS growth", ", ".join(f"{fmt} {g:+.0%}" for fmt, g in ex["growth"].items())))
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.backfill", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--db",
        action="append",
        required=True,
        type=Path,
        help="a crawl's SQLite archive (repeat: exports on each; WARC import on the last)",
    )
    p.add_argument("--no-import", action="store_true", help="exports only")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp:
        r = {"exports": exports(args.db, Path(tmp))}
        if not args.no_import:
            r["warc_import"] = warc_import(args.db[-1], Path(tmp))
    for name, value in table(r):
        print(f"{name:40} {value}")
    print(json.dumps(r, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
