"""The dictionaries of cleaning in compact, shared form: built once into a cache directory,
memory-mapped by every process that needs them.

What is built (:func:`build`), from the installed packages' own files:

* ``words``: jieba's dictionary (``jieba/dict.txt``) with the prefixes of its words, as a
  MARISA trie (``marisa-trie``) and a parallel ``uint32`` array, ``freq << 1 | p`` per key
  (``p``: a longer word starts with it), and a ``uint8`` array of tags (:data:`PLACE`,
  :data:`PERSON`);
* ``follow``: what completes one or two characters into a common word of two or three
  characters, as trie keys ``start + "\\0" + completion``;
* ``wide``: jieba's words and those of the ``wordfreq`` package's Chinese list, each with a
  log probability (``float64``; NaN for a prefix of a longer word): the lost-byte repair's
  vocabulary;
* ``idf``: jieba's IDF table (``jieba/analyse/idf.txt``) for the keyword stage;
* ``hmm_B``, ``hmm_M``, ``hmm_E``, ``hmm_S``: jieba's HMM emission table, a character's log
  probability in each state (a JSON of 0.9 MB cost every damaged page's process ~30 ms to parse);
* small JSON tables: totals, the person-name tables, the characters' use in words, jieba's own
  keyword stop words, the Traditional and Simplified-only forms of OpenCC (the Traditional
  detection's, without OpenCC's ``s2t``).

A table is opened on first use and counted in :data:`LOADS` (name -> times opened in this
process): the repair's vocabularies (:data:`REPAIR_TABLES`: ``wide``, ``names``, ``usage``,
``follow``, ``hmm_B`` ...) are opened only by a page that shows damage, which
``tests/test_vocab.py`` checks by this counter.
A trie is an ``mmap`` of its file and an array a ``memoryview`` of one: no Python object per
word, and the pages are shared by every process of a crawl or a reprocess.

The directory is ``$THEPAPER_CACHE_DIR``, else ``$XDG_CACHE_HOME/thepaper-archive``, else
``~/.cache/thepaper-archive``; its subdirectory is named by the sources' sizes and times and
:data:`FORMAT`, so that an upgraded jieba or wordfreq builds anew. A process builds into a
temporary directory and renames it into place (the first one wins; the others use it). If the
directory cannot be written, the tables are built into a temporary directory of this process.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import math
import mmap
import os
import shutil
import sys
import tempfile
import threading
from collections import Counter
from importlib.util import find_spec
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, cast

#: Bump when what :func:`build` writes changes.
FORMAT = 2
PLACE, PERSON = 1, 2
#: Words this frequent count as common (:func:`following`).
COMMON_WORD_FREQ = 20
#: The longest word considered by the word model.
MAX_WORD_LEN = 8

#: Tables opened in this process, by name.
LOADS: Counter[str] = Counter()
#: The states of jieba's HMM, each a table of its emission log probabilities (``hmm_B`` ...).
HMM_STATES = "BMES"
#: The repair's vocabularies: opened only by a page that shows damage (lost bytes, tears, mojibake).
REPAIR_TABLES = ("wide", "names", "usage", "follow", *(f"hmm_{k}" for k in HMM_STATES))

_LOCK = threading.RLock()
_DIR: Path | None = None
_OPEN: dict[str, object] = {}


def package_dir(name: str) -> Path:
    """The directory of the installed package ``name`` (found, not imported)."""
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {name} package is not installed")
    return Path(list(spec.submodule_search_locations)[0])


def sources() -> dict[str, Path]:
    """The files the tables are built from."""
    jieba = package_dir("jieba")
    return {
        "dict": jieba / "dict.txt",
        "idf": jieba / "analyse" / "idf.txt",
        "emit": jieba / "finalseg" / "prob_emit.py",
        "tfidf": jieba / "analyse" / "tfidf.py",
        "wordfreq": package_dir("wordfreq") / "data" / "large_zh.msgpack.gz",
        "opencc": package_dir("opencc") / "__init__.py",
    }


def cache_root() -> Path:
    env = os.environ.get("THEPAPER_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "thepaper-archive"


def _key() -> str:
    h = hashlib.sha1(f"{FORMAT} {sys.byteorder}".encode())
    for name, path in sorted(sources().items()):
        st = path.stat()
        h.update(f"{name} {st.st_size} {st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def directory() -> Path:
    """The built tables' directory (built now if missing)."""
    global _DIR
    if _DIR is None:
        with _LOCK:
            if _DIR is None:
                _DIR = _ensure(cache_root())
    return _DIR


def _ensure(root: Path) -> Path:
    dest = root / f"vocab-{_key()}"
    if (dest / "done").exists():
        return dest
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    except OSError:
        tmp = Path(tempfile.mkdtemp(prefix="thepaper-vocab-"))
        atexit.register(shutil.rmtree, tmp, True)  # this process's own copy, gone with it
        build(tmp)
        return tmp
    try:
        build(tmp)
        tmp.chmod(0o755)  # mkdtemp's 0700: other users of a shared cache read it too
        try:
            os.rename(tmp, dest)
        except OSError:  # another process renamed its copy first
            if not (dest / "done").exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


# --- building -----------------------------------------------------------------------------


def _write_array(path: Path, typecode: str, values: Iterable[float]) -> None:
    from array import array

    with open(path, "wb") as fh:
        array(typecode, values).tofile(fh)


def _write_table(dest: Path, name: str, entries: Mapping[str, float], typecode: str) -> None:
    """A trie of ``entries``' keys and an array of their values in the trie's order."""
    import marisa_trie

    trie = marisa_trie.Trie(entries)
    trie.save(str(dest / f"{name}.marisa"))
    values: list[float] = [0] * len(trie)
    for key, value in entries.items():
        values[trie[key]] = value
    _write_array(dest / f"{name}.{typecode}", typecode, values)


def _read_dict(path: Path) -> tuple[dict[str, int], dict[str, str]]:
    """jieba's dictionary: word -> frequency, word -> tag, as ``jieba.Tokenizer`` reads it."""
    freq: dict[str, int] = {}
    tags: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split(" ")
            if len(parts) >= 2 and parts[1].strip().isdigit():
                freq[parts[0]] = int(parts[1])
                if len(parts) >= 3:
                    tags[parts[0]] = parts[2].strip()
    return freq, tags


def source_literal(path: Path, name: str) -> Any:  # Any: the literal of whatever shape the file assigns
    """The literal value assigned to ``name`` in the Python file ``path`` (read, not run)."""
    import ast

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            value = node.value
            if isinstance(value, ast.Call) and getattr(value.func, "id", None) == "set" and value.args:
                return set(ast.literal_eval(value.args[0]))
            return ast.literal_eval(value)
    raise RuntimeError(f"{name} not found in {path}")


def build(dest: Path) -> None:
    """Write every table into the directory ``dest`` (module doc)."""
    src = sources()
    freq, tags = _read_dict(src["dict"])
    total = sum(freq.values()) or 1
    log_total = math.log(total)
    max_len = min(MAX_WORD_LEN, max(len(w) for w in freq))
    packed = {w: f << 1 for w, f in freq.items()}
    for w in freq:
        for k in range(1, min(len(w), max_len)):
            packed[w[:k]] = packed.get(w[:k], 0) | 1
    _write_table(dest, "words", packed, "I")
    import marisa_trie

    trie = marisa_trie.Trie()
    trie.load(str(dest / "words.marisa"))
    flags = [0] * len(trie)
    persons = []
    for w, tag in tags.items():
        if tag == "ns":
            flags[trie[w]] |= PLACE
        elif tag == "nr" and 2 <= len(w) <= 3:
            flags[trie[w]] |= PERSON
            persons.append(w)
    _write_array(dest / "words.B", "B", flags)

    f: float  # a frequency: jieba's (an int), then wordfreq's
    follow = []
    for w, f in freq.items():
        if f >= COMMON_WORD_FREQ and 2 <= len(w) <= 3:
            follow.append(w[:-1] + "\0" + w[-1])
            if len(w) == 3:
                follow.append(w[0] + "\0" + w[1:])
    marisa_trie.Trie(follow).save(str(dest / "follow.marisa"))

    wide: dict[str, float] = {}
    from wordfreq import get_frequency_dict

    for w, f in get_frequency_dict("zh", wordlist="large").items():
        if 1 <= len(w) <= max_len and all("\u4e00" <= c <= "\u9fff" for c in w) and f > 0:
            wide[w] = math.log(f)
    for w, f in freq.items():
        if len(w) >= 2 and f:
            wide.setdefault(w, math.log(f) - log_total)
    for w in list(wide):
        for k in range(2, len(w)):
            wide.setdefault(w[:k], math.nan)
    _write_table(dest, "wide", wide, "d")

    idf: dict[str, float] = {}
    for line in src["idf"].read_text(encoding="utf-8").splitlines():
        word, value = line.strip().split(" ")
        idf[word] = float(value)
    _write_table(dest, "idf", idf, "d")
    emit = source_literal(src["emit"], "P")
    for state in HMM_STATES:
        _write_table(dest, f"hmm_{state}", emit[state], "d")

    usage: dict[str, int] = {}
    for w, f in freq.items():
        if f:
            for c in set(w):
                usage[c] = usage.get(c, 0) + f
    small: dict[str, Any] = {
        "totals": {"log_total": log_total, "max_len": max_len, "idf_median": sorted(idf.values())[len(idf) // 2]},
        "usage": {"chars": usage, "total": sum(usage.values()) or 1},
        "names": _name_tables(persons, freq, log_total),
        "stopwords": sorted(source_literal(src["tfidf"], "STOP_WORDS")),
        "scripts": _script_forms(),
    }
    for name, value in small.items():
        (dest / f"{name}.json").write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    (dest / "done").write_text(f"{FORMAT}\n", encoding="utf-8")


def _script_forms() -> dict[str, str]:
    """The Han characters (``charsets.CJK_RANGES``) that OpenCC's ``t2s`` changes (Traditional
    forms), and those that only ``s2t`` changes and Big5 cannot encode (Simplified-only forms):
    what :mod:`cleaning.repair.traditional` counts, without loading OpenCC's ``s2t``."""
    import opencc

    t2s, s2t = opencc.OpenCC("t2s"), opencc.OpenCC("s2t")
    trad: list[str] = []
    simp: list[str] = []
    for lo, hi in _CJK_BLOCKS:
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            if t2s.convert(ch) != ch:
                trad.append(ch)
            elif s2t.convert(ch) != ch:
                try:
                    ch.encode("big5")
                except UnicodeEncodeError:
                    simp.append(ch)
    return {"traditional": "".join(trad), "simplified_only": "".join(simp)}


#: The Han blocks of ``cleaning.repair.charsets.CJK_RANGES``.
_CJK_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
#: A character seen this rarely as a surname (or in given names) is none.
NAME_MIN_COUNT = 20


def _name_tables(persons: list[str], freq: dict[str, int], log_total: float) -> list[dict[str, float]]:
    """From the person names (two or three characters): log P of a name beginning with each
    surname (times how often a word of text is a name at all), and log P of each character of a
    given name. Counted over names, not their frequencies: a famous name is one name."""
    sur: dict[str, int] = {}
    given: dict[str, int] = {}
    name_freq = 0
    for w in persons:
        name_freq += freq[w]
        sur[w[0]] = sur.get(w[0], 0) + 1
        for c in w[1:]:
            given[c] = given.get(c, 0) + 1
    n_sur, n_given = sum(sur.values()) or 1, sum(given.values()) or 1
    share = math.log(max(1, name_freq)) - log_total
    return [
        {c: share + math.log(k / n_sur) for c, k in sur.items() if k >= NAME_MIN_COUNT},
        {c: math.log(k / n_given) for c, k in given.items() if k >= NAME_MIN_COUNT},
    ]


# --- reading ------------------------------------------------------------------------------


class Table:
    """A memory-mapped trie and the memory-mapped array of its values (by key id)."""

    #: Of the ``words`` table only: each key's tag flags (``words.B``, set by :func:`table`).
    flags: memoryview[int]

    def __init__(self, directory: Path, name: str, typecode: Typecode | None) -> None:
        import marisa_trie

        self.trie = marisa_trie.Trie()
        self.trie.mmap(str(directory / f"{name}.marisa"))
        self.id: Callable[[str], int | None] = self.trie.get
        self.values = _map_array(directory / f"{name}.{typecode}", typecode) if typecode else None

    def get(self, key: str, default: object = None) -> Any:  # Any: the table's value type (an int or a float)
        i = self.id(key)
        # cast: a table whose values are looked up has a typecode, so its array
        return default if i is None else cast("memoryview[Any]", self.values)[i]


#: The arrays' item types: 32-bit unsigned (``I``), double (``d``), byte (``B``).
Typecode = Literal["I", "d", "B"]


def _map_array(path: Path, typecode: Typecode) -> memoryview[Any]:  # Any: an int or a float, by typecode
    with open(path, "rb") as fh:
        if not os.fstat(fh.fileno()).st_size:
            return memoryview(b"").cast(typecode)
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    return memoryview(mm).cast(typecode)


_TYPECODES: dict[str, Typecode | None] = {
    "words": "I",
    "wide": "d",
    "idf": "d",
    "follow": None,
    **{f"hmm_{k}": "d" for k in HMM_STATES},
}


def table(name: str) -> Table:
    """The table ``name`` (``words``, ``wide``, ``idf``, ``follow``, ``hmm_B`` ...), opened once per process."""
    t = _OPEN.get(name)
    if t is None:
        with _LOCK:
            t = _OPEN.get(name)
            if t is None:
                t = Table(directory(), name, _TYPECODES[name])
                if name == "words":
                    t.flags = _map_array(directory() / "words.B", "B")
                _OPEN[name] = t
                LOADS[name] += 1
    return cast(Table, t)  # cast: under a table's name, _OPEN holds its Table


def small(name: str) -> Any:  # Any: the JSON of the table's own shape (see build)
    """The small table ``name`` (``totals``, ``usage``, ``names``, ``stopwords``, ``scripts``),
    read once."""
    t = _OPEN.get(name)
    if t is None:
        with _LOCK:
            t = _OPEN.get(name)
            if t is None:
                t = json.loads((directory() / f"{name}.json").read_text(encoding="utf-8"))
                _OPEN[name] = t
                LOADS[name] += 1
    return t


if __name__ == "__main__":  # ``python -m cleaning.vocab``: build the tables now (scripts/bootstrap.sh)
    print(directory())
