"""predict page."""

import streamlit as st

st.title("Predict")
