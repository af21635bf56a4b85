"""A full disk or a read-only home folder: a message that says so and what to do, and no half-written file."""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import new_run

from backend.runs import RunStore, StorageError, run_job_in_process


def _mount(folder, options: str) -> None:
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {done.stderr.decode().strip()}")


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB file system of its own (needs root, which can mount; skipped elsewhere)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    folder = tmp_path / "disk"
    folder.mkdir()
    _mount(folder, "size=1m,mode=0700")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".tmp"))


def test_a_read_only_home_is_refused_naming_the_folder_and_the_fix(small_disk):
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(StorageError, match=r"could not write to its home folder .*disk.*TORCHWORK_HOME"):
        RunStore(small_disk / "home")


def test_a_home_that_turns_read_only_is_refused_and_its_runs_are_intact_once_writable(small_disk, table):
    store = RunStore(small_disk / "home")
    kept = new_run(store, table, "record_epochs")
    store.close()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(StorageError, match="cannot be written to.*TORCHWORK_HOME"):
        RunStore(small_disk / "home")
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    store = RunStore(small_disk / "home")
    assert [run["id"] for run in store.list_runs()] == [kept]
    assert store.load_data(kept).equals(table)
    store.close()


def test_a_full_disk_refuses_a_new_run_and_leaves_nothing_behind(small_disk):
    import numpy as np
    import pandas as pd

    store = RunStore(small_disk / "home")
    big = pd.DataFrame({"x": np.random.default_rng(0).normal(size=300_000), "y": 0})
    with pytest.raises(StorageError, match="the disk is full. Free some disk space"):
        new_run(store, big, "record_epochs")
    assert store.list_runs() == [] and list(store.runs_root.iterdir()) == []
    assert _leftovers(small_disk) == []


def test_a_job_that_fills_the_disk_fails_with_the_reason_and_leaves_no_half_written_file(small_disk, table):
    store = RunStore(small_disk / "home")
    run_id = new_run(store, table, "write_big_artifact")
    assert run_job_in_process(store, run_id) == "failed"
    assert "the disk is full. Free some disk space" in store.get_run(run_id)["error"]
    assert not (store.run_dir(run_id) / "big.bin").exists()
    assert _leftovers(small_disk) == []


def test_a_home_that_cannot_be_created_is_refused_naming_the_folder_and_the_fix(tmp_path, monkeypatch):
    # A file where a parent folder should be: the home cannot be made, as on a read-only disk.
    (tmp_path / "taken").write_text("not a folder")
    home = tmp_path / "taken" / "home"
    monkeypatch.setenv("TORCHWORK_HOME", str(home))
    with pytest.raises(StorageError) as caught:
        RunStore()
    message = str(caught.value)
    assert str(home) in message and "TORCHWORK_HOME" in message and "writ" in message
