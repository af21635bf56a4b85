"""Security settings and code audits of the dashboard: XSRF protection on, no raw HTML from user text."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "dashboard"
_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def as_read(markdown: str) -> str:
    """Markdown's backslash escapes undone: the text as a reader sees it."""
    return _UNESCAPE.sub(r"\1", markdown)


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
        errors = as_read("\n".join(e.value for e in at.error))
        assert f"could not create its home folder {home}" in errors, page
        assert "Something went wrong" not in errors, page


# -- user text in Markdown: shown as written, never as a link or an image ---------------------------------

HOSTILE = "![x](http://e/x.png)[a](b)*b*.csv"


def _markdown_texts(at) -> list[str]:
    """Every piece of Markdown the page drew (headings, text, captions, alerts)."""
    kinds = ("markdown", "caption", "subheader", "header", "title", "info", "warning", "error", "success")
    return [e.value for kind in kinds for e in getattr(at, kind)]


def _assert_literal(texts: list[str], name: str) -> None:
    shown = [t for t in texts if "x.png" in t]
    assert shown, "the name is not on the page"
    for text in shown:
        text = re.sub(r"(?<!\\)\*\*", "", text)  # the page's own bold around the name
        # No construct is left for Markdown to read: no image, no link, no emphasis, no bare URL.
        assert not re.search(r"(?<!\\)\]\(|(?<!\\)\*|(?<!\\)<|[a-z]://", text), text
        assert name in as_read(text), text


def test_an_upload_named_like_markdown_shows_its_name_literally(app):
    app.radio(key="w.data.source").set_value("Upload a file").run()
    app.file_uploader[0].set_value((HOSTILE, b"a,b,y\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n", "text/csv")).run()
    assert not app.exception
    _assert_literal(_markdown_texts(app), HOSTILE)
    # A file that cannot be read names itself literally too.
    app.file_uploader[0].set_value((HOSTILE, b"", "text/csv")).run()
    assert not app.exception
    (error,) = [e.value for e in app.error]
    assert error.startswith("Could not use ")
    _assert_literal([error], HOSTILE)


def test_markdown_helpers_escape_user_text_and_fence_code():
    from dashboard.widgets import code, md

    assert md("*c* [d](e) ![f](g) <h> `i` $j$ ~k~ | l") == r"\*c\* [d\](e) ![f\](g) \<h> \`i\` \$j\$ \~k\~ \| l"
    # Inside a word an underscore is no emphasis, and messages keep reading as written.
    assert md("max_categories _x_") == r"max_categories \_x\_"
    assert md("values in [0, 1): got 1.5") == "values in [0, 1): got 1.5"
    assert md("see http://x.y, www.z.com or a@b.c") == r"see http\://x.y, www\.z.com or a\@b.c"
    assert md(":red[alert] :material/home:") == r"\:red[alert] \:material/home:"
    assert md("# title") == r"\# title" and md("1. one") == r"1\. one" and md("> quote") == r"\> quote"
    assert md("line one\nline two") == "line one line two"
    assert code("a`b") == "``a`b``" and code("`x") == "`` `x ``" and code("plain") == "`plain`"
