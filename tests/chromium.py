"""Debian's headless Chromium for the tests that look at a page as a reader's browser draws it.

:func:`chromium` finds it (installing the package, and a CJK font, when missing: the tests
run as root, as ``scripts/test.sh`` does); :func:`dump_dom` prints the DOM after loading;
:class:`DevTools` speaks the DevTools protocol over ``--remote-debugging-pipe`` (file
descriptors 3 and 4, NUL-separated JSON), so a test can measure the laid-out page (sizes,
the fonts used for a text) without any script in the page itself.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import time

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The Debian package of the CJK font the report test needs (``scripts/test.sh`` installs it too).
CJK_FONT_PACKAGE = "fonts-wqy-zenhei"


def _apt_install(package: str) -> None:
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=600)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env, timeout=1200)


def chromium() -> str:
    """Path of Debian's chromium, installing the package if it is missing."""
    path = shutil.which("chromium")
    if not path:
        _apt_install("chromium")
        path = shutil.which("chromium")
    assert path, "chromium is not installed"
    return path


def cjk_fonts() -> list[str]:
    """Family names of the installed fonts that cover Chinese, installing one when there is none."""

    def families() -> list[str]:
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
        return sorted({name for line in out.splitlines() for name in line.split(",") if name})

    if not shutil.which("fc-list") or not families():
        _apt_install(CJK_FONT_PACKAGE)
    return families()


def dump_dom(html_path, profile_dir) -> str:
    proc = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile_dir}", "--dump-dom", html_path.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _high_fd(fd: int) -> int:
    """``fd`` moved to a number of at least 10, out of the way of 3 and 4."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return new


class DevTools:
    """A headless Chromium driven over the DevTools pipe: open a page, evaluate, close."""

    def __init__(self, profile_dir, *, timeout: float = 120):
        to_chrome_r, to_chrome_w = (_high_fd(fd) for fd in os.pipe())
        from_chrome_r, from_chrome_w = (_high_fd(fd) for fd in os.pipe())

        def wire():  # in the child: the pipe ends at 3 (commands in) and 4 (answers out)
            os.dup2(to_chrome_r, 3, inheritable=True)
            os.dup2(from_chrome_w, 4, inheritable=True)

        self.proc = subprocess.Popen(
            [chromium(), *FLAGS, f"--user-data-dir={profile_dir}", "--remote-debugging-pipe", "about:blank"],
            preexec_fn=wire,
            pass_fds=(3, 4),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.out, self.inp = to_chrome_w, from_chrome_r
        self.timeout, self.buf, self.next_id, self.session = timeout, b"", 0, None

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            assert left > 0, "Chromium did not answer in time"
            ready, _, _ = select.select([self.inp], [], [], left)
            if ready:
                chunk = os.read(self.inp, 1 << 16)
                assert chunk, "Chromium closed the DevTools pipe"
                self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, *, browser: bool = False) -> dict:
        """Send one command (to the attached page unless ``browser``) and return its result."""
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not browser:
            msg["sessionId"] = self.session
        os.write(self.out, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self.next_id:
                assert "error" not in answer, f"{method}: {answer['error']}"
                return answer.get("result", {})

    def open(self, url: str, width: int, height: int) -> None:
        """Open ``url`` in a new page of ``width`` × ``height`` CSS pixels and wait until it is loaded."""
        target = self.call("Target.createTarget", {"url": "about:blank"}, browser=True)["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True}, browser=True)[
            "sessionId"
        ]
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.call("Page.navigate", {"url": url})
        deadline = time.monotonic() + self.timeout
        while self.evaluate("document.readyState") != "complete":
            assert time.monotonic() < deadline, "the page did not finish loading"
            time.sleep(0.05)

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (run by the test, not by the page)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def fonts_for(self, selector: str) -> list[str]:
        """The font families Chromium really drew the text of the first ``selector`` node with."""
        self.call("DOM.enable")
        self.call("CSS.enable")
        root = self.call("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = self.call("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"no node {selector}"
        return [f["familyName"] for f in self.call("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]]

    def close(self) -> None:
        try:
            self.call("Browser.close", browser=True)
        except (AssertionError, OSError):
            pass
        try:
            self.proc.wait(timeout=600)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.out)
        os.close(self.inp)

    def __enter__(self) -> DevTools:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
