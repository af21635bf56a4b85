"""Preprocessing: sklearn transformers that turn raw rows, images or texts into the numbers a net trains on."""

from backend.preprocess.image_files import IMAGE_EXTENSIONS, ImageReadError, is_image_name, open_image
from backend.preprocess.images import ImageLoader, find_image_column
from backend.preprocess.tabular import FEATURE_ROLES, build_preprocessor, feature_columns
from backend.preprocess.text import TextVectorizer, describe_texts, find_text_column, tokenize

__all__ = [
    "FEATURE_ROLES",
    "IMAGE_EXTENSIONS",
    "ImageLoader",
    "ImageReadError",
    "TextVectorizer",
    "build_preprocessor",
    "describe_texts",
    "feature_columns",
    "find_image_column",
    "find_text_column",
    "is_image_name",
    "open_image",
    "tokenize",
]
