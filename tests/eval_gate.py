"""The cleaner's quality gate: a corpus built from the damage mechanisms (generated damage of
realistic text, plus the real samples), its figures compared with ``tests/data/eval_baseline.json``.

A change may raise a figure, never lower it (``tests/test_eval_gate.py`` checks). Run on its own:

    .venv/bin/python -m tests.eval_gate            # print the figures and how they compare
    .venv/bin/python -m tests.eval_gate --update   # write the figures as the new baseline (raise only)

Every figure is a share in [0, 1] (higher is better):

* ``clean_unchanged``: clean Simplified lines (``tests/data/text/simplified_clean.txt``) that come
  out byte-identical; ``traditional_false_alarm_free``: chunks of them not taken for Traditional;
* ``mojibake_<read>[_nbsp]``: character similarity to the original after UTF-8 text was read
  as Latin-1 / a browser's windows-1252 / a windows-1252 that drops its undefined bytes (with
  NBSP turned into a space) and repaired; whole article and corpus;
* ``decode_mislabelled``: GB and Big5 documents under a wrong declared charset decoded exactly;
* ``traditional_<converter>``: similarity to the original after an OpenCC repost (``s2t``,
  ``s2twp`` Taiwan phrases, ``s2hk``, ``s2tw``) was detected and undone;
* ``shapes_fields``: title, author, time and source right on repost pages of no known layout
  whose head lines take the usual shapes in turn; ``shapes_refused``: non-article pages refused;
* ``tears``: similarity after the GBK punctuation swap (``bench.damage.gbk_punct_swap``) of
  Simplified lines and the repair;
* ``sample_mirror``: the checks of the real mirror sample that hold after cleaning;
* ``devset_<column>``: our figures on the development set of real pages this project did not
  write (:mod:`tests.devset_eval`: body similarity, chrome-free share, title, time, author);
  ``main`` prints them beside trafilatura's and GeneralNewsExtractor's in the same run, and
  ``tests/test_eval_gate.py`` checks that ours are not behind either;
  ``devset_articles_kept``: its real articles not refused, ``devset_negatives_refused``: its
  negatives (pages that hold no article) refused; both must be 1 (the table prints the counts:
  refused real articles and accepted negatives, 0 for ours).

Issue 25 (never invent) moved six baselines down, on purpose: a lost byte the bytes leave open is
put back only above the word model's measured 99.5 % margin (``python -m bench.margins``), so
recall of lost bytes fell: mojibake_1252-dropped 0.9976 -> 0.9541 (its _nbsp 0.9976 -> 0.9507),
mojibake_latin-1_nbsp and mojibake_whatwg-1252_nbsp 1.0 -> 0.9984 (a NBSP or a space is the
model's choice too), tears 0.9547 -> 0.9507, sample_mirror 1.0 -> 0.6364 (the real sample's five
tears each need a character only the model could choose: they stay as they were, counted).
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "tests" / "data" / "eval_baseline.json"
TEXT = ROOT / "tests" / "data" / "text" / "simplified_clean.txt"
SAMPLES = ROOT / "tests" / "data" / "samples"
TOLERANCE = 1e-4


def clean_lines() -> list[str]:
    return [ln for ln in TEXT.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]


def article_text() -> str:
    page = (SAMPLES / "m_thepaper_2017_newsDetail_forward_1787647.html").read_text(encoding="utf-8")
    lines = [ln.strip() for ln in re.sub(r"<[^>]+>", "\n", page).splitlines()]
    return "\n".join(ln for ln in lines if ln)


def similarity(got: str, want: str) -> float:
    sm = difflib.SequenceMatcher(None, got, want, autojunk=False)
    return sum(bl.size for bl in sm.get_matching_blocks()) / max(1, len(want), len(got))


def _chunks(lines: list[str], size: int) -> list[str]:
    return ["\n".join(lines[i : i + size]) for i in range(0, len(lines), size)]


def _clean(lines: list[str]) -> dict[str, float]:
    from cleaning.repair import repair_text
    from cleaning.repair.traditional import is_converted_traditional

    same = sum(1 for ln in lines if repair_text(ln).text == ln)
    chunks = _chunks(lines, 4)
    alarm_free = sum(1 for c in chunks if not is_converted_traditional(c))
    return {"clean_unchanged": same / len(lines), "traditional_false_alarm_free": alarm_free / len(chunks)}


def _mojibake(lines: list[str]) -> dict[str, float]:
    from bench.damage import SINGLE_BYTE_READS, utf8_read_as
    from cleaning.repair.mojibake import repair_mojibake

    texts = [article_text(), "\n".join(lines)]
    out = {}
    for how in SINGLE_BYTE_READS:
        for nbsp in (False, True):
            sims = [similarity(repair_mojibake(utf8_read_as(t, how, nbsp_to_space=nbsp))[0], t) for t in texts]
            out[f"mojibake_{how}{'_nbsp' if nbsp else ''}"] = sum(sims) / len(sims)
    return out


def _decode(lines: list[str]) -> dict[str, float]:
    import opencc

    from cleaning.decode import decode_bytes

    s2t = opencc.OpenCC("s2t")
    docs = []
    for chunk in _chunks(lines, 5):
        for codec, text, labels in (
            ("gb18030", chunk, ("big5", "iso-8859-1", "windows-1252", "utf-8", "euc-kr")),
            ("big5", s2t.convert(chunk), ("gbk", "gb2312", "iso-8859-1", "utf-8")),
        ):
            try:
                data = text.encode(codec)
            except UnicodeEncodeError:
                continue
            docs += [(data, label, text) for label in labels]
    right = sum(1 for data, label, text in docs if decode_bytes(data, header_charset=label).text == text)
    return {"decode_mislabelled": right / len(docs)}


def _traditional(lines: list[str]) -> dict[str, float]:
    import opencc

    from cleaning.repair import repair_text

    out = {}
    chunks = _chunks(lines, 20)
    for config in ("s2t", "s2twp", "s2hk", "s2tw"):
        conv = opencc.OpenCC(config)
        sims = [similarity(repair_text(conv.convert(c)).text, c) for c in chunks]
        out[f"traditional_{config}"] = sum(sims) / len(sims)
    return out


_HEADS = (  # (head lines, <title>) with {t} title, {a} byline, {w} time, {s} 来源 line
    (["{t}", "{a}", "{w}", "{s}"], ""),
    (["{t}", "{w} {s} {a}"], ""),
    (["{t}", "{s}", "{w}", "{a}"], ""),
    (["某某科技网", "{t}", "{w}", "{s}"], "{t}_某某科技网"),
    (["首页 资讯 正文", "{t}", "{a}", "{w}"], ""),
    (["{t}", "{w}", "{s}", "+1 字号", "上海"], ""),
    (["<h1>{t}</h1>", "{a}"], "{t} - 某站"),
)


def _shapes(lines: list[str]) -> dict[str, float]:
    from domain.record import SHANGHAI, CleaningError
    from cleaning.document import clean_document

    right = total = 0
    body = "".join(f"<p>{p}</p>" for p in lines[60:64])
    for k, (head, title_tag) in enumerate(_HEADS * 3):
        title, who = f"第{k}篇报道：{lines[k][:12]}", ["王一鸣", "李晓雪", "张三丰"][k % 3]
        when = datetime(2025, 3, 1 + k % 20, 9, 15, tzinfo=SHANGHAI)
        fill = {"t": title, "a": f"澎湃新闻记者 {who}", "w": when.strftime("%Y-%m-%d %H:%M"), "s": "来源：澎湃新闻"}
        divs = "".join(f"<div>{h.format(**fill)}</div>" for h in head)
        page = (
            f"<html><head><title>{title_tag.format(**fill)}</title></head><body>{divs}<div>{body}</div></body></html>"
        ).encode()
        want = {
            "title": title,
            "author": who if "{a}" in " ".join(head) else "",
            "published_at": when if "{w}" in " ".join(head) else None,
            "source": "澎湃新闻" if "{s}" in " ".join(head) else "",
        }
        try:
            rec = clean_document(page, url=f"http://www.repost.com.cn/newsDetail_forward_{31000000 + k}")
            got = {f: getattr(rec, f) for f in want}
        except CleaningError:
            got = {}
        right += sum(1 for f in want if got.get(f) == want[f])
        total += len(want)
    refused = 0
    nonarticles = [
        "<html><body>"
        + "".join(f"<li><a href='/a{i}'>{ln[:14]}</a></li>" for i, ln in enumerate(lines[:30]))
        + "</body></html>",
        "<html><body><h1>科学湃</h1>"
        + "".join(f"<div><a>{ln[:12]}</a></div><div>2025-03-01 09:1{i % 10}</div>" for i, ln in enumerate(lines[:20]))
        + "</body></html>",
        "\n".join(f"2025-03-01 09:{m:02d}:00 INFO {ln}" for m, ln in enumerate(lines[:20])),
        "# 说明\n\n" + "\n".join(f"- {ln}" for ln in lines[:10]),
    ]
    for doc in nonarticles:
        try:
            clean_document(doc.encode("utf-8"))
        except CleaningError:
            refused += 1
    return {"shapes_fields": right / total, "shapes_refused": refused / len(nonarticles)}


def _tears(lines: list[str]) -> dict[str, float]:
    from bench.damage import gbk_punct_swap
    from cleaning.repair import repair_text

    picked = [ln for ln in lines if "，" in ln or "。" in ln][:12]
    sims = [similarity(repair_text(gbk_punct_swap(ln), traditional=False).text, ln) for ln in picked]
    return {"tears": sum(sims) / len(sims)}


_MIRROR_CHECKS = (
    "MiniMax、智谱上市背后：中国AI产业链的连锁反应正在到来",
    "问题已经转向规模化探索期，即谁能在",
    "把业务真正跑到规模化。",
    "企业客户从试点走向规模化，算力成本",
    "特专科技公司搭建的“18C”",
    "中国大模型的竞争，开始进入一个用耐心、资本和工程能力共同博弈的阶段。",
    "为什么是现在？为什么都选择了同一上市路径？",
    "普及率36.5%",
    "5.15亿",
)


def _sample() -> dict[str, float]:
    from cleaning.document import clean_document

    data = (SAMPLES / "mirror_nxos_newsDetail_forward_32400625.txt").read_bytes()
    rec = clean_document(data, url="http://www.nxos.com.cn/newsDetail_forward_32400625")
    text = rec.title + "\n" + rec.body_text
    ok = sum(1 for c in _MIRROR_CHECKS if c in text) + (rec.published_at is not None) + (rec.content_type == "pph")
    return {"sample_mirror": ok / (len(_MIRROR_CHECKS) + 2)}


def figures() -> dict[str, float]:
    """Every figure of the gate, rounded to 4 decimals."""
    lines = clean_lines()
    out: dict[str, float] = {}
    for part in (_clean, _mojibake, _decode, _traditional, _shapes, _tears):
        out.update(part(lines))
    out.update(_sample())
    out.update(_devset())
    return {k: round(v, 4) for k, v in sorted(out.items())}


def _devset() -> dict[str, float]:
    from tests import devset_eval

    row = devset_eval.run(("ours",))["ours"]
    out = {f"devset_{col}": row[col] for col in devset_eval.COLUMNS if row[col] is not None}
    out["devset_articles_kept"] = 1 - row["refused"] / len(devset_eval.cases())
    out["devset_negatives_refused"] = 1 - row["accepted"] / len(devset_eval.negatives())
    return out


def baseline() -> dict[str, float]:
    return json.loads(BASELINE.read_text(encoding="utf-8"))


def lowered(now: dict[str, float], base: dict[str, float]) -> dict[str, tuple[float, float | None]]:
    """The figures that fell below the baseline (or vanished): ``{name: (baseline, now)}``."""
    return {k: (v, now.get(k)) for k, v in base.items() if now.get(k) is None or now[k] < v - TOLERANCE}


def main(argv: list[str]) -> int:
    from tests import devset_eval

    print(devset_eval.table(devset_eval.run()))
    now = figures()
    base = baseline() if BASELINE.exists() else {}
    for k, v in now.items():
        b = base.get(k)
        mark = "" if b is None else ("  (baseline %.4f%s)" % (b, ", LOWER" if v < b - TOLERANCE else ""))
        print(f"{k:38s} {v:.4f}{mark}")
    low = lowered(now, base)
    if "--update" in argv:
        if low:
            print(f"refused: {len(low)} figures would fall: {low}", file=sys.stderr)
            return 1
        BASELINE.write_text(
            json.dumps({k: max(v, base.get(k, 0.0)) for k, v in now.items()}, indent=1) + "\n", encoding="utf-8"
        )
        print(f"baseline written: {BASELINE}")
        return 0
    return 1 if low else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
