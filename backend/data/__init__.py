"""Reading uploaded tables and image zips, inferring their schema and task, checking targets, bundled samples."""

from .archives import ArchiveLimits, ImageArchiveError, ImageSet, UnsafeArchiveError, read_image_zip
from .fingerprint import fingerprint
from .reader import list_sheets, read_table
from .samples import DEFAULT_SAMPLE, IMAGE_SAMPLES, SAMPLES, TEXT_SAMPLES, SampleInfo, load_sample
from .schema import ROLES, ColumnInfo, infer_schema
from .source import TableReadError
from .target import TargetCheck, TaskGuess, check_target, infer_task

__all__ = [
    "read_table",
    "list_sheets",
    "TableReadError",
    "infer_schema",
    "ColumnInfo",
    "ROLES",
    "infer_task",
    "TaskGuess",
    "check_target",
    "TargetCheck",
    "SAMPLES",
    "IMAGE_SAMPLES",
    "TEXT_SAMPLES",
    "SampleInfo",
    "DEFAULT_SAMPLE",
    "load_sample",
    "fingerprint",
    "read_image_zip",
    "ImageSet",
    "ArchiveLimits",
    "UnsafeArchiveError",
    "ImageArchiveError",
]
