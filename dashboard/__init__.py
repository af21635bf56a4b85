"""Torchwork's Streamlit dashboard."""
