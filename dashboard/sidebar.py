"""The sidebar every page shares: the dataset, target and task in use, and the run in view."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard import services, state
from dashboard.widgets import code, md


def render(where: DeltaGenerator) -> None:
    """Draw the summary into ``where`` (cheap: session state and one row of the run store)."""
    with where:
        ds = state.dataset()
        data = state.spec_dict()["data"]
        if ds is not None:
            st.caption("Dataset")
            st.markdown(f"**{md(ds.label, start=False)}**")
            st.caption(f"Target: {code(data['target'])} · {data['task']}")
        run = state.run_id()
        if run is not None:
            record = services.store().get_run(run)
            if record is not None:
                st.caption("Run in view")
                st.markdown(f"{code(run)} · {record['status']}")
