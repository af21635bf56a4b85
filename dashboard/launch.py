"""Starting the dashboard as a real `streamlit run` server in a child process (browser tests, screenshots)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
ROOT = APP.parent.parent

#: What Chromium needs to run headless in a container, and nothing that phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(home: Path, port: int | None = None, timeout: float = 120.0) -> Iterator[str]:
    """Run the dashboard with ``TORCHWORK_HOME=home``; yield its URL; stop it (and its workers) after.

    The server's output goes to ``home/"server.log"``.

    Raises
    ------
    RuntimeError
        The server did not answer its health check within ``timeout`` seconds.
    """
    port = port or free_port()
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TORCHWORK_HOME": str(home)}
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    with open(home / "server.log", "ab") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, timeout)
        yield url
    finally:
        # SIGTERM lets Streamlit exit cleanly, which stops the job runner and its workers.
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the dashboard server exited with code {proc.returncode}; see server.log")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the dashboard server did not answer at {url} within {timeout:.0f} s")
