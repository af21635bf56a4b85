"""Load test: ten browser sessions on one dashboard server, each uploading a table and starting a small CV job.

The server runs at most two jobs at once (``TORCHWORK_MAX_JOBS=2``); the others wait in the queue. Printed:
whether every job finished, the page switch times of every session while jobs run (median and worst), and
the server's resident memory before the sessions, with all of them open, and after they close.
Not a test: run ``.venv/bin/python bench/load_test.py [--sessions 10]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from playwright.sync_api import Page, sync_playwright

from backend.data import load_sample
from backend.runs import RunStore
from dashboard.browser import choose, fill, go, run_id_in_url, settle, upload
from dashboard.launch import CHROMIUM, CHROMIUM_ARGS, running_server

TIMEOUT_MS = 300_000


def server_pid(port: str) -> int:
    """The pid of the ``streamlit run`` process listening on ``port``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(args) and port.encode() in args:
            return int(entry.name)
    raise RuntimeError(f"no streamlit server on port {port}")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def table(folder: Path, i: int) -> Path:
    """Session ``i``'s table: the wine sample with a text category, a little different per session."""
    frame = load_sample("wine").sample(frac=0.9, random_state=i)
    frame["cellar"] = np.where(np.arange(len(frame)) % 3 == 0, "north", "south")
    path = folder / f"wine_{i}.csv"
    frame.to_csv(path, index=False)
    return path


class Switches:
    """Page switch times, kept apart by whether a job was running when the switch began."""

    def __init__(self, store: RunStore):
        self.store = store
        self.busy: list[float] = []
        self.idle: list[float] = []

    def go(self, page: Page, name: str) -> None:
        running = bool(self.store.list_runs(status="running"))
        (self.busy if running else self.idle).append(go(page, name))


def start_job(page: Page, path: Path, switches: Switches) -> str:
    """Upload ``path``, pick the target, set a small 3-fold CV, press Train; return the run id."""
    page.get_by_text("Upload a file", exact=True).click()
    settle(page)
    upload(page, str(path))
    page.get_by_role("heading", name=path.name).wait_for()
    choose(page, "Target column", "cultivar")
    switches.go(page, "Model")
    fill(page, "Epochs", 5)
    fill(page, "Patience", 2)
    fill(page, "Folds", 3)
    switches.go(page, "Train")
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_url("**run=*")
    return run_id_in_url(page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2, help="jobs running at once")
    args = parser.parse_args()
    os.environ["TORCHWORK_MAX_JOBS"] = str(args.jobs)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        home = folder / "home"
        with running_server(home) as url, sync_playwright() as playwright:
            pid = server_pid(url.rsplit(":", 1)[1])
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            first = browser.new_page()
            first.goto(url)
            first.get_by_text("Ready:").wait_for()
            settle(first)
            first.close()
            memory = {"before sessions": rss_mb(pid)}

            store = RunStore(home)
            switches = Switches(store)
            contexts, pages, runs = [], [], []
            started = time.perf_counter()
            for i in range(args.sessions):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(url)
                page.get_by_text("Ready:").wait_for()
                settle(page)
                runs.append(start_job(page, table(folder, i), switches))
                contexts.append(context)
                pages.append(page)
            submitted_s = time.perf_counter() - started

            while any(store.get_run(r)["status"] in ("queued", "running") for r in runs):
                for page in pages:
                    switches.go(page, "Runs")
                    switches.go(page, "Train")
            finished_s = time.perf_counter() - started
            memory["all sessions open"] = rss_mb(pid)
            statuses = [store.get_run(r)["status"] for r in runs]

            for context in contexts:
                context.close()
            browser.close()
            time.sleep(10)  # Streamlit forgets a session a few seconds after its socket closes
            memory["sessions closed"] = rss_mb(pid)

    print(f"sessions: {args.sessions}, jobs at once: {args.jobs}")
    print(f"jobs: {statuses.count('succeeded')} of {len(runs)} succeeded ({', '.join(sorted(set(statuses)))})")
    print(f"all jobs submitted after {submitted_s:.1f} s, all finished after {finished_s:.1f} s")
    for label, times in (("while jobs ran", switches.busy), ("with no job running", switches.idle)):
        if times:
            print(
                f"page switches {label}: {len(times)}, median {statistics.median(times):.2f} s, "
                f"worst {max(times):.2f} s, under 2 s: {sum(t < 2 for t in times)}/{len(times)}"
            )
    print("server memory (RSS): " + ", ".join(f"{k} {v:.0f} MB" for k, v in memory.items()))


if __name__ == "__main__":
    main()
