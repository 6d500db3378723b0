"""The alert hook: ``THEPAPER_ALERT_CMD``, a shell command run when the layout-drift alarm fires.

:class:`AlertCommand` is a Scrapy extension listening to
:data:`crawler.drift.layout_drift_alarm`, the signal the run recorder
(:mod:`crawler.runrecorder`) sends once the degraded run is recorded. :func:`run_alert_command` writes the figures to a JSON file and
runs the command with ``/bin/sh -c``: ``$1`` is the alarm's one line, ``$2`` the JSON
file's path (also ``$THEPAPER_ALERT_TEXT`` and ``$THEPAPER_ALERT_FILE``), for example::

    THEPAPER_ALERT_CMD='logger -t thepaper-archive "$1"'
    THEPAPER_ALERT_CMD='mail -s "thepaper-archive: $1" ops@example.org < "$2"'

The file is removed when the command returns. A command that fails, hangs past
``THEPAPER_ALERT_TIMEOUT_S`` or cannot be started is a warning in the log, never a
change of the run's outcome (it stays ``degraded``, exit code 7).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile

from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


def run_alert_command(command: str, line: str, report: dict, *, timeout: float = 60.0) -> str | None:
    """Run ``command`` for an alarm; None when it succeeded, else what went wrong (one line)."""
    fd, path = tempfile.mkstemp(prefix="thepaper-alert-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(report, f, ensure_ascii=False, indent=2, default=str)
            f.write("\n")
        env = dict(os.environ, THEPAPER_ALERT_TEXT=line, THEPAPER_ALERT_FILE=path)
        try:
            proc = subprocess.run(
                ["/bin/sh", "-c", command, "thepaper-alert", line, path],
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return f"the alert command did not finish within {timeout:g} s"
        except OSError as exc:
            return f"the alert command could not be started: {exc}"
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or [""])[-1]
            return f"the alert command exited with {proc.returncode}" + (f": {last}" if last else "")
        return None
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


class AlertCommand:
    """Runs ``THEPAPER_ALERT_CMD`` on the ``layout_drift_alarm`` signal."""

    def __init__(self, command: str, timeout: float):
        self.command, self.timeout = command, timeout

    @classmethod
    def from_crawler(cls, crawler):
        from crawler.drift import layout_drift_alarm

        command = (crawler.settings.get("THEPAPER_ALERT_CMD") or "").strip()
        if not command:
            raise NotConfigured
        ext = cls(command, crawler.settings.getfloat("THEPAPER_ALERT_TIMEOUT_S"))
        crawler.signals.connect(ext.alarm, signal=layout_drift_alarm)
        return ext

    def alarm(self, verdict, report):
        problem = run_alert_command(self.command, verdict.line, report, timeout=self.timeout)
        if problem:
            logger.warning("%s", problem)
        else:
            logger.info("the alert command ran")
