"""The benchmark's processes: run a child and read its CPU time and peak memory from ``/proc``;
the warmed-up mock site in its own process (:mod:`bench.mockproc`); see :mod:`bench.run`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
_TICK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ processes
#: The project's packages, which a command run in a tree imports from it.
PACKAGES = ("domain", "cleaning", "crawler", "storage", "pipelines", "jobs", "mocksite")


def fresh_bytecode(tree: Path) -> None:
    """Compile ``tree``'s packages to bytecode (``compileall``; ``__pycache__`` is not tracked),
    as an installed package is: with PYTHONDONTWRITEBYTECODE set, a tree without it (a fresh
    ``git archive``) or with stale files compiles those modules from source in every run, tens
    to hundreds of milliseconds the bench would count as the code's."""
    names = [p for p in PACKAGES if (tree / p).is_dir()]
    if not names:  # compileall without a directory would compile all of sys.path
        return
    subprocess.run([PY, "-m", "compileall", "-q", *names], cwd=tree, check=True, stdout=subprocess.DEVNULL)


def run_in_tree(tree: Path, args: list[str], what: str) -> str:
    """``python ARGS`` in a new process started in ``tree`` (a checkout of another commit) with
    its packages first on ``sys.path``: its standard output; SystemExit naming ``what`` and the
    end of its standard error when it fails."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    res = subprocess.run([PY, *args], cwd=tree, env=env, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"{what}: the run with {tree} failed:\n{res.stderr[-3000:]}")
    return res.stdout


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (from /proc)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def run_child(cmd: list[str], *, cwd: Path = ROOT, env: dict | None = None, timeout: float = 900) -> dict:
    """Run a command through :mod:`bench.launch`; its wall time, CPU time, peak RSS (MB: the
    largest ``VmHWM`` of one of its processes, and their sum; ``wait4``'s ``ru_maxrss`` beside
    it, counted from the launcher's few megabytes, not from this process's size), exit code,
    output."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile(suffix=".json") as usage_file,
    ):
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [PY, str(ROOT / "bench" / "launch.py"), usage_file.name, *cmd],  # by path: cwd may be outside the tree
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        wall = time.perf_counter() - t0
        try:
            usage = json.loads(Path(usage_file.name).read_text() or "{}")
        except ValueError:
            usage = {}
        out.seek(0)
        err.seek(0)
        return {
            "rc": usage.get("rc", proc.returncode),
            "wall_s": wall,
            "cpu_s": usage.get("cpu_s", 0.0),
            "children_cpu_s": usage.get("children_cpu_s", 0.0),
            "peak_rss_mb": round(usage.get("peak_kb", 0) / 1024, 1),
            "peak_rss_sum_mb": round(usage.get("sum_kb", 0) / 1024, 1),
            "ru_maxrss_mb": round(usage.get("maxrss_kb", 0) / 1024, 1),
            "processes": [{**p, "hwm_mb": round(p.pop("hwm_kb") / 1024, 1)} for p in usage.get("processes", [])],
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
        }


class Mock:
    """The warmed-up mock in its own process."""

    def __init__(self, articles: int, latency: float = 0.0):
        self.proc = subprocess.Popen(
            [PY, "-m", "bench.mockproc", "--articles", str(articles), "--latency", str(latency)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        info = json.loads(self.proc.stdout.readline())
        self.url, self.pid, self.warm_s = info["url"], self.proc.pid, info["warm_s"]

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def measured(mock: Mock, cmd: list[str], **kw) -> dict:
    """Run ``cmd`` while the mock serves; adds the mock's CPU seconds during the run."""
    before = mock.cpu()
    res = run_child(cmd, **kw)
    res["mock_cpu_s"] = mock.cpu() - before
    return res


def _check(res: dict, what: str) -> None:
    if res["rc"] != 0:
        raise SystemExit(f"bench: {what} failed (exit {res['rc']}):\n{res['stderr'][-3000:]}")
