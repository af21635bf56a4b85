"""Fixtures for every test: Torchwork's home is always a fresh temporary folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _torchwork_home(tmp_path, monkeypatch):
    """Point TORCHWORK_HOME at a temporary folder, so no test reads or writes a real home."""
    home = tmp_path / "home"
    monkeypatch.setenv("TORCHWORK_HOME", str(home))
    return home
