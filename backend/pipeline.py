"""The one place pipelines are built: raw rows -> preprocessing -> net, all from an ExperimentSpec."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from backend.callbacks import EarlyStopping, ProgressReporter
from backend.data import infer_schema
from backend.dataset import ValidSplit
from backend.modules import MLP
from backend.net import NeuralNetClassifier, NeuralNetRegressor
from backend.preprocess import build_preprocessor, feature_columns
from backend.spec import ExperimentSpec

OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}


class EpochRelay:
    """Passes each epoch record to ``report``; pickles without it, so a fitted pipeline stays portable.

    A fitted net keeps its callbacks. The caller's ``report`` (a closure over a database, say) must not
    travel inside the saved pipeline, yet clones made while fitting must keep calling it.
    """

    def __init__(self, report: Callable[[dict], None] | None):
        self.report = report

    def __call__(self, record: dict) -> None:
        if self.report is not None:
            self.report(record)

    def __deepcopy__(self, memo: dict) -> EpochRelay:
        # sklearn's clone deep-copies callback parameters; a copy must still reach the same report.
        return self

    def __getstate__(self) -> dict:
        return {"report": None}


def build_net(spec: ExperimentSpec, on_epoch: Callable[[dict], None] | None = None) -> BaseEstimator:
    """The unfitted estimator for ``spec.model`` and ``spec.training``.

    A classifier, or a regressor (wrapped to learn a standardised target when ``spec.data.scale_target``).
    ``on_epoch(record)`` is called at the end of every epoch with the History row.
    """
    model, training = spec.model, spec.training
    classification = spec.data.task == "classification"
    callbacks: list[Any] = []
    if training.early_stopping:
        callbacks.append(
            EarlyStopping(monitor="valid_loss", patience=training.patience, load_best=training.restore_best)
        )
    if on_epoch is not None:
        callbacks.append(ProgressReporter(EpochRelay(on_epoch)))
    split = None
    if training.valid_fraction > 0:
        split = ValidSplit(training.valid_fraction, stratified=classification, random_state=training.seed)
    params: dict[str, Any] = {
        "module__hidden_units": tuple(model.hidden_units),
        "module__activation": model.activation,
        "module__dropout": model.dropout,
        "module__batch_norm": model.batch_norm,
        "optimizer": OPTIMIZERS[training.optimizer],
        "lr": training.lr,
        "batch_size": training.batch_size,
        "max_epochs": training.max_epochs,
        "train_split": split,
        "callbacks": callbacks,
        "random_state": training.seed,
        "verbose": 0,
        "device": "cpu",
    }
    if training.optimizer == "sgd":
        params["optimizer__momentum"] = 0.9
    if classification:
        weight = "balanced" if training.class_weight == "balanced" else None
        return NeuralNetClassifier(MLP, class_weight=weight, **params)
    net = NeuralNetRegressor(MLP, **params)
    if spec.data.scale_target:
        return TransformedTargetRegressor(regressor=net, transformer=StandardScaler())
    return net


def build_pipeline(
    spec: ExperimentSpec,
    frame: pd.DataFrame,
    on_epoch: Callable[[dict], None] | None = None,
    schema: list | None = None,
) -> Pipeline:
    """The unfitted ``Pipeline([("preprocess", ...), ("net", ...)])`` for ``spec`` on ``frame``'s columns.

    Fit it on the feature columns and the target (``frame.drop(columns=target)``, ``frame[target]``); the
    fitted pipeline predicts original labels from raw rows and pickles with joblib.

    Parameters
    ----------
    spec : ExperimentSpec
    frame : DataFrame
        The data, target column included; only its columns and their roles are used here.
    on_epoch : callable, optional
        Called with each epoch's History row while the net trains.
    schema : list of ColumnInfo, optional
        ``frame``'s inferred schema, when the caller already has it.

    Raises
    ------
    SpecError
        When the spec is invalid for these columns.
    """
    spec.validate(columns=[str(c) for c in frame.columns])
    schema = infer_schema(frame) if schema is None else schema
    return Pipeline([("preprocess", build_preprocessor(spec, schema)), ("net", build_net(spec, on_epoch))])


def fitted_net(pipeline: Pipeline) -> Any:
    """The fitted NeuralNet inside ``pipeline`` (unwrapping a standardised-target regressor)."""
    net = pipeline.named_steps["net"]
    return getattr(net, "regressor_", net)


def describe_pipeline(spec: ExperimentSpec, frame: pd.DataFrame) -> dict[str, Any]:
    """What :func:`build_pipeline` would build on ``frame``, before any training.

    The preprocessing is fitted on ``frame`` (cheap) to count the features it produces; the network is
    instantiated, not trained, to list its layers and count its parameters.

    Returns
    -------
    dict
        ``columns``: a list of ``{"group", "columns", "steps", "n_features"}`` plus a ``dropped`` mapping
        (column -> reason); ``n_features``; ``n_outputs``; ``network``: ``{"layers": [{"name", "type",
        "output_shape", "n_params"}], "n_params", "n_trainable"}``.
    """
    spec.validate(columns=[str(c) for c in frame.columns])
    target = spec.data.target
    schema = infer_schema(frame)
    features = frame.drop(columns=[target])
    preprocessor = build_preprocessor(spec, schema).fit(features)
    groups = []
    for name, steps, columns in preprocessor.transformers_:
        if name == "remainder":
            continue
        n_out = len(steps.get_feature_names_out(columns))
        groups.append(
            {
                "group": name,
                "columns": list(columns),
                "steps": [_step_text(step) for _, step in steps.steps if _step_text(step)],
                "n_features": n_out,
            }
        )
    n_features = sum(g["n_features"] for g in groups)
    if spec.data.task == "classification":
        n_outputs = int(frame[target].dropna().nunique())
    else:
        n_outputs = 1
    model = spec.model
    module = MLP(
        in_features=n_features,
        out_features=n_outputs,
        hidden_units=tuple(model.hidden_units),
        activation=model.activation,
        dropout=model.dropout,
        batch_norm=model.batch_norm,
    )
    return {
        "columns": groups,
        "dropped": feature_columns(spec, schema)["dropped"],
        "n_features": n_features,
        "n_outputs": n_outputs,
        "network": _describe_module(module, n_features),
    }


def _step_text(step: Any) -> str:
    """A readable name for a preprocessing step; casts are plumbing and left out."""
    if type(step).__name__ == "FunctionTransformer":
        return ""
    params = {k: v for k, v in step.get_params(deep=False).items() if k in ("strategy", "handle_unknown")}
    args = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return f"{type(step).__name__}({args})"


def _describe_module(module: torch.nn.Module, n_features: int) -> dict[str, Any]:
    """Layers with their output shapes (from a forward pass on two dummy rows) and parameter counts."""
    layers = [(name, child) for name, child in module.named_modules() if not list(child.children())]
    shapes: dict[str, list[int | None]] = {}
    hooks = [
        child.register_forward_hook(
            lambda _m, _i, out, name=name: shapes.__setitem__(name, [None, *list(out.shape[1:])])
        )
        for name, child in layers
    ]
    module.eval()
    try:
        with torch.no_grad():
            module(torch.zeros((2, n_features), dtype=torch.float32))
    finally:
        for hook in hooks:
            hook.remove()
    rows = [
        {
            "name": name,
            "type": type(child).__name__,
            "output_shape": shapes.get(name),
            "n_params": int(sum(p.numel() for p in child.parameters())),
        }
        for name, child in layers
    ]
    return {
        "input_shape": [None, n_features],
        "layers": rows,
        "n_params": int(sum(p.numel() for p in module.parameters())),
        "n_trainable": int(sum(p.numel() for p in module.parameters() if p.requires_grad)),
    }
