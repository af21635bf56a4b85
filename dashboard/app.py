"""The dashboard's entry point (`streamlit run dashboard/app.py`): page setup, navigation, the sidebar."""

from __future__ import annotations

import logging

import streamlit as st

from dashboard import sidebar, state

logger = logging.getLogger("dashboard")

PAGES = [
    st.Page("views/data.py", title="Data", icon=":material/table_chart:", default=True),
    st.Page("views/model.py", title="Model", icon=":material/tune:"),
    st.Page("views/train.py", title="Train", icon=":material/model_training:"),
    st.Page("views/results.py", title="Results", icon=":material/monitoring:"),
    st.Page("views/predict.py", title="Predict", icon=":material/batch_prediction:"),
    st.Page("views/runs.py", title="Runs", icon=":material/history:"),
    st.Page("views/settings.py", title="Settings", icon=":material/settings:"),
]

st.set_page_config(page_title="Torchwork", page_icon=":material/neurology:", layout="wide")
page = st.navigation(PAGES)
state.sync_url()
# Filled after the page, so it shows what the page just changed (a new target, a new run).
summary = st.sidebar.container()
try:
    page.run()
except (ValueError, TypeError) as exc:
    # Pages catch a user's mistakes where they happen; this is the net under them, so a slip never
    # shows a traceback and the other pages keep working.
    st.error(str(exc), icon=":material/error:")
except Exception as exc:
    logger.exception("unexpected error on page %s", page.title)
    st.error(
        f"Something went wrong on this page ({type(exc).__name__}: {exc}). The other pages still work; "
        "the server log has the details.",
        icon=":material/error:",
    )
sidebar.render(summary)
