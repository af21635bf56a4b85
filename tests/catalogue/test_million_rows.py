"""A million-row table reads with memory in proportion to its data, measured in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

MEASURE = """
import json, resource, sys
from backend.data import infer_schema, read_table
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
frame = read_table(sys.argv[1])
infer_schema(frame)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"grown_mb": (peak - before) / 1024, "shape": frame.shape,
                  "frame_mb": frame.memory_usage(deep=True).sum() / 2**20}))
"""


def _write_million_rows(path) -> None:
    rng = np.random.default_rng(0)
    colours = np.array(["red", "green", "blue"])
    with open(path, "w") as f:
        f.write("a,b,colour,y\n")
        for _ in range(5):
            m = 200_000
            columns = rng.normal(size=m), rng.integers(0, 1000, m), colours[rng.integers(0, 3, m)], rng.integers(0, 2, m)
            rows = zip(*columns, strict=True)
            f.write("".join(f"{a:.4f},{b},{c},{y}\n" for a, b, c, y in rows))


def test_a_million_row_csv_reads_with_memory_a_small_multiple_of_its_data(tmp_path):
    path = tmp_path / "million.csv"
    _write_million_rows(path)
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["shape"] == [1_000_000, 4]
    # The parsed frame is about 36 MB; a reader that copied per row or kept every string as a Python object
    # several times over would grow by far more.
    assert figures["grown_mb"] < 8 * figures["frame_mb"], figures
