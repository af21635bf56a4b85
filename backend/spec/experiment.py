"""ExperimentSpec: the one validated, JSON round-trippable description of a training run."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backend.limits import load_limits, over_limit
from backend.spec.checks import DataFacts, combination_problems, combination_warnings
from backend.spec.errors import SpecError
from backend.spec.fields import check_field, field_specs
from backend.spec.search import SearchSpec
from backend.spec.sections import DataSpec, EvaluationSpec, ModelSpec, TrainingSpec

SECTIONS: dict[str, type] = {
    "data": DataSpec,
    "model": ModelSpec,
    "training": TrainingSpec,
    "evaluation": EvaluationSpec,
    "search": SearchSpec,
}


@dataclass
class ExperimentSpec:
    """Everything a run needs besides the data: what to predict, the network, training, evaluation and an
    optional hyperparameter search.

    Build one with defaults (``ExperimentSpec.for_target("species")``), edit its sections, call
    :meth:`validate`, and store it with :meth:`to_json`.
    """

    data: DataSpec = dataclasses.field(default_factory=DataSpec)
    model: ModelSpec = dataclasses.field(default_factory=ModelSpec)
    training: TrainingSpec = dataclasses.field(default_factory=TrainingSpec)
    evaluation: EvaluationSpec = dataclasses.field(default_factory=EvaluationSpec)
    search: SearchSpec = dataclasses.field(default_factory=SearchSpec)

    @classmethod
    def for_target(cls, target: str, task: str = "classification") -> ExperimentSpec:
        """A spec with defaults suited to ``task``: stratified splits only for classification."""
        spec = cls(data=DataSpec(target=target, task=task))
        spec.evaluation.stratified = task == "classification"
        return spec

    # -- JSON round trip ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Plain, JSON-ready nested dict (lists for tuples)."""
        out = {}
        for name in SECTIONS:
            section = getattr(self, name)
            out[name] = {
                f.name: _plain(getattr(section, f.name)) for f in dataclasses.fields(section)
            }
        return out

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> ExperimentSpec:
        """Build a spec from :meth:`to_dict` output; missing keys take defaults, unknown keys are refused.

        Raises
        ------
        SpecError
            Naming every unknown section or field. Values are not range-checked here: call
            :meth:`validate`.
        """
        if not isinstance(payload, Mapping):
            raise SpecError(f"a spec must be a mapping of sections, got {type(payload).__name__}")
        problems = _unknown_keys(payload, SECTIONS, "spec")
        sections = {}
        for name, section_cls in SECTIONS.items():
            values = payload.get(name, {})
            if not isinstance(values, Mapping):
                problems.append(f"section {name!r} must be a mapping of fields, got {type(values).__name__}")
                continue
            known = {fs.name: fs for fs in field_specs(section_cls)}
            problems += _unknown_keys(values, known, f"section {name!r}")
            kwargs = {k: _coerce(known[k].kind, v) for k, v in values.items() if k in known}
            sections[name] = section_cls(**kwargs)
        if problems:
            raise SpecError(problems)
        return cls(**sections)

    def to_json(self, indent: int | None = 2) -> str:
        """The spec as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> ExperimentSpec:
        """Parse :meth:`to_json` output (see :meth:`from_dict`)."""
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"the spec is not valid JSON: {exc}") from None
        return cls.from_dict(payload)

    # -- validation -----------------------------------------------------------------------------------

    def problems(
        self,
        n_rows: int | None = None,
        class_counts: Mapping[Any, int] | None = None,
        columns: list[str] | None = None,
    ) -> list[str]:
        """Every problem of this spec, as sentences; empty when it can run. See :meth:`validate`."""
        by_field = self._field_problems()
        found, bad = [p for problems in by_field.values() for p in problems], set(by_field)
        if "training.max_epochs" not in bad and self.training.max_epochs > load_limits().max_epochs:
            found.append(over_limit("training.max_epochs", self.training.max_epochs, "max_epochs"))
        facts = DataFacts(n_rows=n_rows, class_counts=class_counts, columns=columns)
        return found + combination_problems(self, facts, skip=bad)

    def warnings(self) -> list[str]:
        """Combined settings that train, but probably not as meant, as sentences; they never make the spec
        invalid (patience not below the epochs, say)."""
        return combination_warnings(self, DataFacts(), skip=set(self._field_problems()))

    def _field_problems(self) -> dict[str, list[str]]:
        """Each field that fails its own check (``"section.field"``) -> its problems."""
        found = {}
        for name, section_cls in SECTIONS.items():
            section = getattr(self, name)
            for fs in field_specs(section_cls):
                path = f"{name}.{fs.name}"
                problems = check_field(fs, getattr(section, fs.name), path)
                if problems:
                    found[path] = problems
        return found

    def validate(
        self,
        n_rows: int | None = None,
        class_counts: Mapping[Any, int] | None = None,
        columns: list[str] | None = None,
    ) -> None:
        """Raise :class:`SpecError` listing every problem, or return quietly.

        Parameters
        ----------
        n_rows : int, optional
            Rows with a known target; checks that the folds and splits fit.
        class_counts : mapping, optional
            Rows per class (classification); checks stratified folds and splits.
        columns : list of str, optional
            The dataset's columns; checks that the target and excluded columns exist.
        """
        found = self.problems(n_rows=n_rows, class_counts=class_counts, columns=columns)
        if found:
            raise SpecError(found)


def _unknown_keys(values: Mapping[str, Any], known: Mapping[str, Any], where: str) -> list[str]:
    unknown = [k for k in values if k not in known]
    if not unknown:
        return []
    names = ", ".join(repr(k) for k in unknown)
    return [f"unknown key(s) in {where}: {names}; known keys are {', '.join(known)}"]


def _plain(value: Any) -> Any:
    """A field's value for :meth:`ExperimentSpec.to_dict`: lists for tuples, and a copy of a mapping."""
    if isinstance(value, tuple | list):
        return list(value)
    if isinstance(value, dict):
        return _coerce("mapping", value)
    return value


def _coerce(kind: str, value: Any) -> Any:
    """JSON has no tuples and writes 1e-3 and 1 alike: bring values back to the field's type."""
    if kind == "int_list" and isinstance(value, list):
        return tuple(value)
    if kind == "text_list" and isinstance(value, tuple):
        return list(value)
    if kind == "mapping" and isinstance(value, Mapping):
        try:
            return json.loads(json.dumps(value))  # a copy in JSON's own types (lists, not tuples)
        except (TypeError, ValueError):
            return dict(value)
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value
