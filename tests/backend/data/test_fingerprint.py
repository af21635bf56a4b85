"""fingerprint is a stable SHA-256 of a frame's content that changes with any value, name or dtype."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from backend.data import fingerprint

ROOT = Path(__file__).resolve().parents[3]


def _frame():
    return pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", None], "c": [0.5, np.nan, 2.0]})


def test_is_a_sha256_hex_digest_equal_for_equal_content():
    digest = fingerprint(_frame())
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert fingerprint(_frame()) == digest
    assert fingerprint(_frame().copy()) == digest


def test_changes_when_a_value_changes():
    changed = _frame()
    changed.loc[2, "a"] = 4
    assert fingerprint(changed) != fingerprint(_frame())
    missing = _frame()
    missing.loc[0, "b"] = None
    assert fingerprint(missing) != fingerprint(_frame())


def test_changes_with_column_names_order_and_dtypes():
    base = fingerprint(_frame())
    assert fingerprint(_frame().rename(columns={"a": "A"})) != base
    assert fingerprint(_frame()[["b", "a", "c"]]) != base
    assert fingerprint(_frame().astype({"a": "float64"})) != base


def test_same_digest_in_another_process():
    # Python's own str hashing is salted per process; the digest must not depend on it.
    code = (
        "import numpy as np, pandas as pd; from backend.data import fingerprint;"
        "print(fingerprint(pd.DataFrame({'a': [1, 2, 3], 'b': ['x', 'y', None], 'c': [0.5, np.nan, 2.0]})))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == fingerprint(_frame())


def _pngs(folder: Path, colors: list[int]) -> list[str]:
    from PIL import Image

    folder.mkdir(parents=True)
    paths = []
    for i, color in enumerate(colors):
        path = folder / f"{i}.png"
        Image.new("L", (4, 4), color).save(path)
        paths.append(str(path))
    return paths


def test_image_paths_are_hashed_by_the_images_bytes_not_their_folder(tmp_path):
    here = pd.DataFrame({"image": _pngs(tmp_path / "a", [0, 128, 255]), "label": [0, 1, 1]})
    there = pd.DataFrame({"image": _pngs(tmp_path / "b" / "elsewhere", [0, 128, 255]), "label": [0, 1, 1]})
    assert fingerprint(here) == fingerprint(there)  # the same images in another folder

    Path(there.loc[1, "image"]).write_bytes(Path(here.loc[2, "image"]).read_bytes())  # a changed image
    assert fingerprint(there) != fingerprint(here)
    swapped = here.assign(image=here["image"].iloc[[1, 0, 2]].to_numpy())  # the same files, other rows
    assert fingerprint(swapped) != fingerprint(here)


def test_names_of_image_files_that_are_not_here_are_hashed_as_text():
    names = pd.DataFrame({"image": ["nowhere/1.png", "nowhere/2.png"]})
    assert fingerprint(names) == fingerprint(pd.DataFrame({"image": ["nowhere/1.png", "nowhere/2.png"]}))
    assert fingerprint(names) != fingerprint(pd.DataFrame({"image": ["elsewhere/1.png", "nowhere/2.png"]}))
