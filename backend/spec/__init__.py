"""The experiment spec: the validated, no-code description of a run that every part of Torchwork reads."""

from backend.spec.errors import SpecError
from backend.spec.experiment import SECTIONS, ExperimentSpec
from backend.spec.fields import FieldSpec, field_specs
from backend.spec.search import SEARCHABLE, Dimension, SearchSpec, parse_space
from backend.spec.sections import DataSpec, EvaluationSpec, ModelSpec, TrainingSpec

__all__ = [
    "SEARCHABLE",
    "SECTIONS",
    "DataSpec",
    "Dimension",
    "EvaluationSpec",
    "ExperimentSpec",
    "FieldSpec",
    "ModelSpec",
    "SearchSpec",
    "SpecError",
    "TrainingSpec",
    "field_specs",
    "parse_space",
]
