"""Benchmark: read_table on a 1,000,000 x 20 CSV against pandas.read_csv(engine="pyarrow").

Prints the best of three timings of each reader (alternating, so both see the same cache and load),
their ratio, and the peak memory each reader needs beyond the process it starts in, as a multiple of
the resulting frame's size. Memory is the RSS high-water mark of a fresh subprocess per reader
(/proc's VmHWM on Linux, else ``resource.getrusage``), since tracemalloc does not see Arrow's
allocations.

Run from the repository root: ``.venv/bin/python bench/read_speed.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.data import read_table  # noqa: E402

READERS = {
    "read_table": lambda path: read_table(path),
    "pandas.read_csv(pyarrow)": lambda path: pd.read_csv(path, engine="pyarrow"),
}


def write_csv(path: Path, n_rows: int) -> None:
    """14 float, 3 integer and 3 categorical string columns, written with pyarrow (fast)."""
    rng = np.random.default_rng(0)
    columns: dict[str, pa.Array] = {}
    for i in range(14):
        columns[f"f{i}"] = pa.array(np.round(rng.normal(0, 100, n_rows), 3))
    for i in range(3):
        columns[f"n{i}"] = pa.array(rng.integers(0, 10_000, n_rows))
    for i in range(3):
        levels = np.array([f"level_{k}" for k in range(20 * (i + 1))])
        columns[f"s{i}"] = pa.array(levels[rng.integers(0, len(levels), n_rows)])
    pa_csv.write_csv(pa.table(columns), path)


def _rss_bytes() -> tuple[int, int]:
    """(current RSS, RSS high-water mark) of this process, in bytes.

    On Linux these come from /proc: ``getrusage``'s ``ru_maxrss`` survives ``exec``, so a child
    started by a large parent would report the parent's peak. Elsewhere ``getrusage`` is used.
    """
    status = Path("/proc/self/status")
    if status.exists():
        fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is in kB on Linux, bytes on macOS
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    return peak, peak


def measure_memory(reader: str, path: str) -> None:
    """Run in a fresh subprocess: print the reader's peak extra RSS and the frame's size, as JSON."""
    before, _ = _rss_bytes()
    df = READERS[reader](path)
    _, peak = _rss_bytes()
    frame = int(df.memory_usage(deep=True).sum())
    print(json.dumps({"extra": peak - before, "frame": frame}))


def best_times(path: Path, repeats: int = 3) -> dict[str, float]:
    """Best wall time of each reader; the order flips every round so neither always goes first."""
    best = {name: float("inf") for name in READERS}
    names = list(READERS)
    for round_ in range(repeats):
        for name in names if round_ % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            df = READERS[name](path)
            best[name] = min(best[name], time.perf_counter() - start)
            del df
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3, help="timings per reader; the best is kept")
    parser.add_argument("--measure", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure_memory(*args.measure)
        return

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.csv"
        start = time.perf_counter()
        write_csv(path, args.rows)
        print(
            f"wrote {args.rows:,} rows x 20 columns, {path.stat().st_size / 2**20:.0f} MiB, "
            f"in {time.perf_counter() - start:.1f} s"
        )

        times = best_times(path, args.repeats)
        ours, theirs = times["read_table"], times["pandas.read_csv(pyarrow)"]
        print(f"read_table                 best of {args.repeats}: {ours:.3f} s")
        print(f"pandas.read_csv(pyarrow)   best of {args.repeats}: {theirs:.3f} s")
        print(f"ratio read_table / pandas: {ours / theirs:.2f}")

        for name in READERS:
            out = subprocess.run(
                [sys.executable, __file__, "--measure", name, str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            figures = json.loads(out.stdout)
            print(
                f"{name:<26} peak extra memory {figures['extra'] / 2**20:7.0f} MiB "
                f"= {figures['extra'] / figures['frame']:.2f} x the frame ({figures['frame'] / 2**20:.0f} MiB)"
            )


if __name__ == "__main__":
    main()
