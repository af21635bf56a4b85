"""The experiment spec: the validated, no-code description of a run that every part of Torchwork reads."""

from backend.spec.errors import SpecError
from backend.spec.experiment import SECTIONS, ExperimentSpec
from backend.spec.fields import FieldSpec, field_specs
from backend.spec.sections import DataSpec, EvaluationSpec, ModelSpec, TrainingSpec

__all__ = [
    "SECTIONS",
    "DataSpec",
    "EvaluationSpec",
    "ExperimentSpec",
    "FieldSpec",
    "ModelSpec",
    "SpecError",
    "TrainingSpec",
    "field_specs",
]
