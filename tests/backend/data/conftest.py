"""Every test of backend.data runs with TORCHWORK_HOME in a temporary folder."""

import pytest


@pytest.fixture(autouse=True)
def _torchwork_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHWORK_HOME", str(tmp_path / "home"))
