"""results page."""

import streamlit as st

st.title("Results")
