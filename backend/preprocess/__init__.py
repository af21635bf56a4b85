"""Preprocessing: sklearn transformers that turn raw rows into the numbers a net trains on."""

from backend.preprocess.tabular import FEATURE_ROLES, build_preprocessor, feature_columns

__all__ = ["FEATURE_ROLES", "build_preprocessor", "feature_columns"]
