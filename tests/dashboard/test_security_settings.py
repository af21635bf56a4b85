"""Security settings and code audits of the dashboard: XSRF protection on, no raw HTML from user text."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "dashboard"


def test_xsrf_protection_is_on_in_the_settings_the_server_runs_with():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config.get("server", {}).get("enableXsrfProtection", True) is True
    assert config.get("server", {}).get("enableCORS", True) is True
    # As the server reads them: the project's config file on top of Streamlit's defaults.
    probe = "from streamlit import config; config.get_config_options(); print(config.get_option('server.enableXsrfProtection'))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "True"


def test_no_page_renders_raw_html():
    # Column names, file names and labels reach markdown; only Streamlit's escaping markdown may show them.
    raw_html = re.compile(r"unsafe_allow_html\s*=\s*True|st\.html\(|components\.v1|components\.html")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in DASHBOARD.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if raw_html.search(line)
    ]
    assert offenders == []


def test_upload_names_never_become_file_system_paths():
    # Uploads are stored under their content's hash; a name like "../../x.csv" must never reach open() or Path().
    suspicious = re.compile(r"(open|Path|os\.path\.join|write_bytes|write_text|mkdir)\([^)]*(upload\.name|\bu\.name|filename)")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in DASHBOARD.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if suspicious.search(line)
    ]
    assert offenders == []


def test_a_home_that_cannot_be_created_is_explained_on_every_page(open_page, tmp_path, monkeypatch):
    (tmp_path / "taken").write_text("not a folder")
    home = tmp_path / "taken" / "home"
    monkeypatch.setenv("TORCHWORK_HOME", str(home))
    for page in ("train", "runs", "results", "predict"):
        at = open_page(page)
        assert not at.exception, page
        errors = "\n".join(e.value for e in at.error)
        assert f"could not create its home folder {home}" in errors, page
        assert "Something went wrong" not in errors, page
