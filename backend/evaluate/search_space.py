"""A spec's search space made concrete: checked parameter names, scikit-learn grids and distributions, plans.

Names in ``spec.search.space`` are the net's own (``lr``, ``module__hidden_units``), as a skorch user
writes them; full pipeline names (``net__lr``, ``preprocess__numeric__scale__with_mean``) work too. Each
is resolved against the very pipeline :func:`backend.pipeline.build_pipeline` builds, so a name that is
not a parameter of it is refused here, before any training, with the names it could have meant.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from scipy import stats
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline

from backend.dataset import iterator_param_names
from backend.pipeline import OPTIMIZERS
from backend.routing import accepted_names, split_prefix
from backend.spec import SEARCHABLE, Dimension, ExperimentSpec, SearchSpec, SpecError, parse_space

_STEPS = ("preprocess__", "net__")
#: The module arguments a net fills in from the data (see :func:`backend.net.sizes.infer_module_sizes`).
_INFERRED_SIZES = ("in_features", "in_channels", "num_embeddings", "vocab_size", "out_features")


@dataclass(frozen=True)
class ResolvedDimension:
    """A searched parameter: the name the spec gives it, its full pipeline name, and its values or range."""

    name: str
    path: str
    dimension: Dimension
    values: tuple[Any, ...] | None = None

    def sklearn_values(self) -> Any:
        """A list of values, or a distribution with ``rvs`` for :class:`~sklearn.model_selection.ParameterSampler`."""
        if self.values is not None:
            return list(self.values)
        d = self.dimension
        if d.integer:
            return (
                IntLogUniform(int(d.low), int(d.high))
                if d.log
                else stats.randint(int(d.low), int(d.high) + 1)
            )
        return stats.loguniform(d.low, d.high) if d.log else stats.uniform(d.low, d.high - d.low)


class IntLogUniform:
    """Whole numbers from ``low`` to ``high`` (both included), log-uniformly: as many 10-100 as 100-1000."""

    def __init__(self, low: int, high: int):
        self.low, self.high = low, high
        # Half a step past each bound, so that both bounds are drawn as often as their neighbours.
        self._dist = stats.loguniform(max(low - 0.5, low / 2), high + 0.5)

    def rvs(self, size: Any = None, random_state: Any = None) -> Any:
        drawn = np.clip(np.rint(self._dist.rvs(size=size, random_state=random_state)), self.low, self.high)
        return int(drawn) if size is None else drawn.astype(int)

    def __repr__(self) -> str:
        return f"IntLogUniform({self.low}, {self.high})"


@dataclass
class SearchSpace:
    """A spec's search space resolved against its pipeline."""

    dimensions: list[ResolvedDimension] = field(default_factory=list)

    @property
    def names(self) -> dict[str, str]:
        """Full pipeline name -> the spec's name for it."""
        return {d.path: d.name for d in self.dimensions}

    def grid(self) -> dict[str, list[Any]]:
        """For :class:`~sklearn.model_selection.GridSearchCV` (every dimension must be a list)."""
        return {d.path: list(d.values) for d in self.dimensions}

    def distributions(self) -> dict[str, Any]:
        """For :class:`~sklearn.model_selection.RandomizedSearchCV` and halving search."""
        return {d.path: d.sklearn_values() for d in self.dimensions}


def net_path(pipeline: Pipeline) -> str:
    """The prefix of the net's parameters in ``pipeline`` (``net__``, or ``net__regressor__`` when the
    net learns a standardised target)."""
    step = pipeline.named_steps["net"]
    return "net__regressor__" if isinstance(step, TransformedTargetRegressor) else "net__"


def resolve_space(spec: ExperimentSpec, pipeline: Pipeline) -> SearchSpace:
    """Check every name and value of ``spec.search.space`` against ``pipeline``; return it resolved.

    Raises
    ------
    SpecError
        Naming each parameter the pipeline does not have (with the closest real names), and each value the
        parameter's owner refuses (a negative learning rate, an unknown optimizer, an empty layer list).
    """
    try:
        dimensions = parse_space(spec.search.space)
    except ValueError as exc:
        raise SpecError(str(exc)) from None
    prefix = net_path(pipeline)
    net = _net_of(pipeline)
    problems, resolved = [], []
    for dim in dimensions:
        path, relative = _path_of(dim.name, prefix)
        if relative is None:
            problem = _pipeline_name_problem(dim.name, pipeline)
        else:
            problem = _net_name_problem(dim.name, relative, net)
        if problem:
            problems.append(problem)
            continue
        values = None if dim.values is None else tuple(_value_for(relative, v) for v in dim.values)
        bad = _value_problems(dim, relative, values, net)
        if bad:
            problems += bad
            continue
        resolved.append(ResolvedDimension(dim.name, path, dim, values))
    if problems:
        raise SpecError(problems)
    return SearchSpace(resolved)


def plain_value(value: Any) -> Any:
    """A searched value as JSON holds it: an optimizer class by its spec name, tuples as lists."""
    if isinstance(value, type):
        names = {cls: name for name, cls in OPTIMIZERS.items()}
        return names.get(value, value.__name__)
    if isinstance(value, tuple | list):
        return [plain_value(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


# -- names ------------------------------------------------------------------------------------------------


def _net_of(pipeline: Pipeline) -> Any:
    step = pipeline.named_steps["net"]
    return step.regressor if isinstance(step, TransformedTargetRegressor) else step


def _path_of(name: str, prefix: str) -> tuple[str, str | None]:
    """The full pipeline name for ``name``, and its name relative to the net (None outside the net)."""
    if name.startswith(prefix):
        return name, name[len(prefix) :]
    if name.startswith(_STEPS):
        return name, None
    return prefix + name, name


def _pipeline_name_problem(name: str, pipeline: Pipeline) -> str:
    known = pipeline.get_params(deep=True)
    if name in known:
        return ""
    return _unknown(name, [k for k in known if k.startswith(_STEPS)], "the pipeline")


def _net_name_problem(name: str, relative: str, net: Any) -> str:
    owner = type(net).__name__
    split = split_prefix(relative)
    if split is None:
        plain = [k for k in net.get_params(deep=False) if split_prefix(k) is None]
        return "" if relative in plain else _unknown(name, plain + _routed_examples(net), owner)
    prefix, rest = split
    if prefix == "callbacks":
        return _callback_name_problem(name, rest, net)
    if prefix in ("iterator_train", "iterator_valid"):
        accepted, takes_any = iterator_param_names(), False
        where = "the batch iterator"
    else:
        target = getattr(net, prefix)
        accepted, takes_any = accepted_names(target)
        if prefix == "optimizer":
            accepted -= {"params", "lr"}  # given by the net itself: the module's weights, and its own lr
        where = getattr(target, "__name__", type(target).__name__)
    if takes_any or rest in accepted:
        return ""
    return _unknown(name, [f"{prefix}__{a}" for a in sorted(accepted)], where)


def _callback_name_problem(name: str, rest: str, net: Any) -> str:
    callbacks = {}
    for item in net.callbacks or []:
        cb_name, callback = item if isinstance(item, tuple) else (type(item).__name__, item)
        callbacks[cb_name] = callback
    cb_name, _, param = rest.partition("__")
    if cb_name not in callbacks:
        listed = ", ".join(f"callbacks__{n}__..." for n in callbacks) or "none: this spec adds no callbacks"
        return (
            f"search.space names {name!r}, but the net has no callback {cb_name!r}; its callbacks: {listed}"
        )
    params = callbacks[cb_name].get_params()
    if param in params:
        return ""
    return _unknown(name, [f"callbacks__{cb_name}__{p}" for p in params], cb_name)


def _routed_examples(net: Any) -> list[str]:
    names = []
    module = getattr(net, "module", None)
    if isinstance(module, type):
        accepted, _ = accepted_names(module)
        names += [f"module__{a}" for a in sorted(accepted)]
    return names


def _unknown(name: str, known: list[str], owner: str) -> str:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    listed = ", ".join(known[:40]) + (", ..." if len(known) > 40 else "")
    return (
        f"search.space names {name!r}, which is not a parameter of {owner}.{hint} "
        f"Parameters that can be searched: {listed}."
    )


# -- values -----------------------------------------------------------------------------------------------


def _value_for(relative: str | None, value: Any) -> Any:
    """A value from JSON as the pipeline takes it: an optimizer named by the spec becomes its class, and
    lists (hidden layer sizes) become tuples."""
    if relative == "optimizer" and isinstance(value, str):
        return OPTIMIZERS.get(value, value)
    if isinstance(value, list):
        return tuple(_value_for(None, v) for v in value)
    return value


def _value_problems(dim: Dimension, relative: str | None, values: tuple | None, net: Any) -> list[str]:
    """Values the parameter's owner refuses, tried on copies before any training."""
    if relative is None:
        return []
    if relative == "optimizer" and values is not None:
        bad = [v for v in values if not (isinstance(v, type) and issubclass(v, torch.optim.Optimizer))]
        if bad:
            return [
                f"search.space[{dim.name!r}] = {plain_value(list(values))!r}: {bad[0]!r} is not an optimizer; "
                f"use {', '.join(map(repr, OPTIMIZERS))}"
            ]
    tried = list(values) if values is not None else [dim.low, dim.high]
    if dim.values is None and dim.integer:
        tried = [int(v) for v in tried]
    problems = []
    for value in tried:
        reason = _refusal(net, relative, value)
        if reason:
            problems.append(
                f"search.space[{dim.name!r}]: the value {plain_value(value)!r} is refused: {reason}"
            )
            break
    return problems


def _refusal(net: Any, relative: str, value: Any) -> str:
    trial = clone(net).set_params(**{relative: value})
    split = split_prefix(relative)
    try:
        if split is None:
            trial._validate_params()
            if relative == "optimizer":
                _build_optimizer(trial)
        elif split[0] == "module" and isinstance(trial.module, type):
            _build_module(trial)
        elif split[0] == "optimizer":
            _build_optimizer(trial)
    except (ValueError, TypeError) as exc:
        return str(exc)
    return ""


def _routed(net: Any, prefix: str) -> dict[str, Any]:
    start = f"{prefix}__"
    return {k[len(start) :]: v for k, v in net.get_params(deep=False).items() if k.startswith(start)}


def _build_module(net: Any) -> None:
    given = _routed(net, "module")
    accepted, takes_any = accepted_names(net.module)
    # Sizes come from the data when the net fits (backend.net.sizes); any size will do to try the other
    # arguments. 2 suits every one of them: a vocabulary needs room for the padding and unknown ids.
    sizes = {k: 2 for k in _INFERRED_SIZES if (k in accepted or takes_any) and k not in given}
    net.module(**sizes, **given)


def _build_optimizer(net: Any) -> None:
    given = _routed(net, "optimizer")
    accepted, takes_any = accepted_names(net.optimizer)
    unknown = sorted(set(given) - accepted) if not takes_any else []
    if unknown:
        raise ValueError(
            f"{net.optimizer.__name__} accepts no parameter {', '.join(map(repr, unknown))} (set by this spec)"
        )
    net.optimizer([torch.zeros(1, requires_grad=True)], lr=net.lr, **given)


def mapping_of(params: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Candidate parameters by the spec's names, JSON-ready; internal keys are left out."""
    return {names[k]: plain_value(v) for k, v in params.items() if k in names}


def candidate_spec(spec: ExperimentSpec, params: Mapping[str, Any]) -> ExperimentSpec | None:
    """The single-run spec that builds candidate ``params``'s pipeline, or None when one has no spec field.

    Its search is off and its evaluation is the search's cross-validation (same folds, same seed), so
    training it reproduces the candidate's scores; every searched name must be one of
    :data:`backend.spec.SEARCHABLE`'s parameters (``lr``, ``module__hidden_units``, ...).
    """
    fields = {param: path for path, param in SEARCHABLE.items()}
    single = copy.deepcopy(spec)
    single.search = SearchSpec()
    single.evaluation.mode = "cv"
    single.evaluation.folds = spec.search.folds
    for name, value in params.items():
        if name not in fields:
            return None
        section, field_name = fields[name].split(".")
        setattr(getattr(single, section), field_name, tuple(value) if isinstance(value, list) else value)
    return single if not single.problems() else None
