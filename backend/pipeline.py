"""The one place pipelines are built: raw rows -> preprocessing -> net, all from an ExperimentSpec.

A table goes through the tabular ColumnTransformer into an MLP; images (a column of file paths or bytes)
through :class:`~backend.preprocess.ImageLoader` into a ConvNet; texts through
:class:`~backend.preprocess.TextVectorizer` into a TextRNN or a bag of embeddings. Every fitted pipeline
takes the raw input: rows, image paths or bytes, strings.
"""

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
from backend.modules import MLP, BagOfEmbeddings, ConvNet, TextRNN
from backend.net import NeuralNetClassifier, NeuralNetRegressor
from backend.preprocess import (
    ImageLoader,
    TextVectorizer,
    build_preprocessor,
    feature_columns,
    find_image_column,
    find_text_column,
)
from backend.spec import ExperimentSpec, SpecError

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
    training = spec.training
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
    module, module_params = _module(spec)
    params: dict[str, Any] = {
        **{f"module__{name}": value for name, value in module_params.items()},
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
    if spec.data.modality == "images":
        # Used only when a large image set comes as a lazy dataset; in-memory arrays are batched directly.
        params["iterator_train__num_workers"] = spec.data.loader_workers
        params["iterator_valid__num_workers"] = spec.data.loader_workers
    if classification:
        weight = "balanced" if training.class_weight == "balanced" else None
        return NeuralNetClassifier(module, class_weight=weight, **params)
    net = NeuralNetRegressor(module, **params)
    if spec.data.scale_target:
        return TransformedTargetRegressor(regressor=net, transformer=StandardScaler())
    return net


def _module(spec: ExperimentSpec) -> tuple[type[torch.nn.Module], dict[str, Any]]:
    """The zoo module for ``spec.model.architecture`` and its arguments (sizes are left to the net)."""
    model = spec.model
    if model.architecture == "convnet":
        return ConvNet, {
            "channels": tuple(model.conv_channels),
            "kernel_size": model.kernel_size,
            "pooling": model.pooling,
            "batch_norm": model.batch_norm,
            "dropout": model.dropout,
            "activation": model.activation,
            "augment_flip": model.augment_flip,
            "augment_rotation": model.augment_rotation,
        }
    if model.architecture == "textrnn":
        return TextRNN, {
            "embedding_dim": model.embedding_dim,
            "hidden_size": model.rnn_units,
            "rnn_type": model.rnn_type,
            "num_layers": model.rnn_layers,
            "bidirectional": model.bidirectional,
            "dropout": model.dropout,
        }
    if model.architecture == "bag":
        return BagOfEmbeddings, {"embedding_dim": model.embedding_dim, "dropout": model.dropout}
    return MLP, {
        "hidden_units": tuple(model.hidden_units),
        "activation": model.activation,
        "dropout": model.dropout,
        "batch_norm": model.batch_norm,
    }


def input_column(spec: ExperimentSpec, frame: pd.DataFrame) -> str:
    """The column holding the images or texts: ``spec.data.input_column``, or the one found in ``frame``.

    Raises
    ------
    SpecError
        For a table spec, or when no column of image files (paths or bytes) or of texts is found.
    """
    data = spec.data
    if data.modality == "table":
        raise SpecError("data.modality = 'table' has no single input column; its feature columns are all used")
    if data.input_column:
        return data.input_column
    others = [data.target]
    found = find_image_column(frame, others) if data.modality == "images" else find_text_column(frame, others)
    if found is None:
        what = "image files (paths or bytes)" if data.modality == "images" else "texts"
        raise SpecError(f"no column of {what} was found in the data: set data.input_column to the column holding them")
    return found


def build_input_step(spec: ExperimentSpec, frame: pd.DataFrame, schema: list | None = None) -> BaseEstimator:
    """The unfitted preprocessing step for ``spec.data.modality``: ColumnTransformer, ImageLoader or TextVectorizer."""
    data = spec.data
    if data.modality == "images":
        return ImageLoader(
            column=input_column(spec, frame),
            size=data.image_size,
            color=data.image_color,
            normalize=data.image_normalize,
        )
    if data.modality == "text":
        return TextVectorizer(
            column=input_column(spec, frame),
            max_tokens=data.max_tokens,
            min_freq=data.min_freq,
            max_length=data.max_length,
            lowercase=data.lowercase,
        )
    return build_preprocessor(spec, infer_schema(frame) if schema is None else schema)


def build_pipeline(
    spec: ExperimentSpec,
    frame: pd.DataFrame,
    on_epoch: Callable[[dict], None] | None = None,
    schema: list | None = None,
) -> Pipeline:
    """The unfitted ``Pipeline([("preprocess", ...), ("net", ...)])`` for ``spec`` on ``frame``'s columns.

    Fit it on the feature columns and the target (``frame.drop(columns=target)``, ``frame[target]``); the
    fitted pipeline predicts original labels from raw rows and pickles with joblib. An image or text
    pipeline also predicts from a plain list of image paths / bytes or of strings.

    Parameters
    ----------
    spec : ExperimentSpec
    frame : DataFrame
        The data, target column included; only its columns and their roles are used here.
    on_epoch : callable, optional
        Called with each epoch's History row while the net trains.
    schema : list of ColumnInfo, optional
        ``frame``'s inferred schema, when the caller already has it (tables only).

    Raises
    ------
    SpecError
        When the spec is invalid for these columns.
    """
    spec.validate(columns=[str(c) for c in frame.columns])
    return Pipeline([("preprocess", build_input_step(spec, frame, schema)), ("net", build_net(spec, on_epoch))])


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
        (column -> reason); ``n_features``; ``n_outputs``; ``network``: ``{"input_shape", "layers":
        [{"name", "type", "output_shape", "n_params"}], "n_params", "n_trainable"}``. Images and text add
        ``input``: ``{"kind": "images", "column", "channels", "size"}`` or ``{"kind": "text", "column",
        "vocabulary_size", "sequence_length"}``; their ``n_features`` is the values per image or text.
    """
    spec.validate(columns=[str(c) for c in frame.columns])
    target = spec.data.target
    n_outputs = int(frame[target].dropna().nunique()) if spec.data.task == "classification" else 1
    if spec.data.modality != "table":
        return _describe_images_or_text(spec, frame, n_outputs)
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
    module_class, params = _module(spec)
    module = module_class(in_features=n_features, out_features=n_outputs, **params)
    return {
        "columns": groups,
        "dropped": feature_columns(spec, schema)["dropped"],
        "n_features": n_features,
        "n_outputs": n_outputs,
        "network": _describe_module(module, torch.zeros((2, n_features), dtype=torch.float32)),
    }


#: Images whose headers a description reads to settle the channel count ("auto" colour).
_DESCRIBE_IMAGES = 256


def _describe_images_or_text(spec: ExperimentSpec, frame: pd.DataFrame, n_outputs: int) -> dict[str, Any]:
    column = input_column(spec, frame)
    step = build_input_step(spec, frame)
    module_class, params = _module(spec)
    if isinstance(step, ImageLoader):
        # The first images settle gray or colour; the pixels themselves are not needed to describe.
        step.set_params(normalize=False).fit(frame[column].head(_DESCRIBE_IMAGES))
        channels, (height, width) = step.n_channels_, step.size_
        module = module_class(in_channels=channels, out_features=n_outputs, **params)
        example = torch.zeros((2, channels, height, width), dtype=torch.float32)
        text = f"ImageLoader({height}x{width}, {'gray' if channels == 1 else 'RGB'}"
        steps = [text + (", normalised per channel)" if spec.data.image_normalize else ")")]
        described = {"kind": "images", "column": column, "channels": channels, "size": [height, width]}
        n_features = channels * height * width
    else:
        step.fit(frame[column])
        length, vocabulary = step.sequence_length_, step.vocabulary_size_
        module = module_class(vocab_size=vocabulary, out_features=n_outputs, **params)
        example = torch.ones((2, length), dtype=torch.int64)
        steps = [f"TextVectorizer({vocabulary} tokens, length {length})"]
        described = {"kind": "text", "column": column, "vocabulary_size": vocabulary, "sequence_length": length}
        n_features = length
    dropped = {str(c): f"not the {spec.data.modality} column" for c in frame.columns if c not in (column, spec.data.target)}
    return {
        "columns": [{"group": spec.data.modality, "columns": [column], "steps": steps, "n_features": n_features}],
        "dropped": dropped,
        "n_features": n_features,
        "n_outputs": n_outputs,
        "input": described,
        "network": _describe_module(module, example),
    }


def _step_text(step: Any) -> str:
    """A readable name for a preprocessing step; casts are plumbing and left out."""
    if type(step).__name__ == "FunctionTransformer":
        return ""
    params = {k: v for k, v in step.get_params(deep=False).items() if k in ("strategy", "handle_unknown")}
    args = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return f"{type(step).__name__}({args})"


def _describe_module(module: torch.nn.Module, example: torch.Tensor) -> dict[str, Any]:
    """Layers with their output shapes (from a forward pass on ``example``, two dummy rows) and parameter counts."""
    layers = [(name, child) for name, child in module.named_modules() if not list(child.children())]
    shapes: dict[str, list[int | None]] = {}
    hooks = [
        child.register_forward_hook(
            lambda _m, _i, out, name=name: shapes.__setitem__(name, _shape(out))
        )
        for name, child in layers
    ]
    module.eval()
    try:
        with torch.no_grad():
            module(example)
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
        "input_shape": [None, *example.shape[1:]],
        "layers": rows,
        "n_params": int(sum(p.numel() for p in module.parameters())),
        "n_trainable": int(sum(p.numel() for p in module.parameters() if p.requires_grad)),
    }


def _shape(output: Any) -> list[int | None] | None:
    """A layer's output shape with the batch as None; None for outputs that are not one tensor (an RNN's)."""
    if isinstance(output, torch.Tensor):
        return [None, *list(output.shape[1:])]
    return None
