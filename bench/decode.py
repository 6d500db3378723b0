"""Decoding speed: ``decode_bytes`` on 16 MiB of random bytes (the worst case: no charset
decodes it, every reading is scored) and on 16 MiB of a real GB18030 article repeated,
each beside Python's own ``bytes.decode`` of the same bytes with replacement (the reference, same run).

``python -m bench.decode`` prints the figures; :func:`measure` is the hook ``bench/run.py`` calls.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

SIZE = 16 * 1024 * 1024
ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "samples" / "mirror_nxos_newsDetail_forward_32400625.txt"


def _inputs(size: int) -> dict[str, tuple[bytes, str]]:
    import opencc

    text = opencc.OpenCC("t2s").convert(SAMPLE.read_text(encoding="utf-8"))
    gb = text.encode("gb18030", "replace")
    return {
        "random bytes": (random.Random(16).randbytes(size), "utf-8"),
        "GB18030 article, declared big5": ((gb * (size // len(gb) + 1))[:size], "gb18030"),
    }


def _best_of(fn, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def measure(size: int = SIZE, runs: int = 3) -> dict:
    """``{input: {seconds, reference_s, ratio, mib_per_s, encoding}}``."""
    from cleaning.decode import decode_bytes

    decode_bytes(b"\xd6\xd0\xce\xc4" * 64)  # load jieba's dictionary and chardet first
    out = {}
    for name, (data, ref_codec) in _inputs(size).items():
        header = "big5" if "declared big5" in name else None
        seconds = _best_of(lambda: decode_bytes(data, header_charset=header), runs)
        reference = _best_of(lambda: data.decode(ref_codec, "replace"), runs)
        out[name] = {
            "bytes": len(data),
            "seconds": seconds,
            "reference_s": reference,
            "ratio": seconds / reference,
            "mib_per_s": len(data) / seconds / 2**20,
            "encoding": decode_bytes(data, header_charset=header).encoding,
        }
    return out


if __name__ == "__main__":
    for name, r in measure().items():
        print(
            f"{name:34s} {r['seconds']:.3f} s ({r['mib_per_s']:.0f} MiB/s), {r['ratio']:.1f} x bytes.decode, "
            f"-> {r['encoding']}"
        )
