"""Code export: a standalone Python script, generated from a spec, that rebuilds the run's pipeline with the
backend API, reads the data file and reproduces the run's cross-validation scores (same seed, same folds)."""

from __future__ import annotations

import datetime as dt
import math
import pprint
from collections.abc import Mapping
from typing import TYPE_CHECKING

from backend.artifacts.versions import torchwork_version

if TYPE_CHECKING:
    from backend.spec import ExperimentSpec

#: Evaluation modes the script reproduces (the folds come from backend.evaluate.make_splits).
SUPPORTED_MODES = ("cv", "holdout")

_TEMPLATE = '''\
"""Reproduce Torchwork run {run_id}: {task} of {target}, {evaluation}.

Rebuilds the run's pipeline from its spec with Torchwork's backend, reads the data file, and scores it
with the same folds and seed as the run, so the scores below match the run's.

    python {script_name} [DATA_FILE] [--save model.pkl] [--json]

DATA_FILE defaults to {data_file_doc}, {data_note}
--save fits the pipeline on every row, as the run did, and writes it with joblib.
Needs `pip install torchwork`; made by Torchwork {version} on {date}.
"""

from __future__ import annotations

import argparse
import json
import tempfile

import joblib
import numpy as np
import pandas as pd

from backend.artifacts.data_export import read_image_data
from backend.data import fingerprint, read_table
from backend.evaluate import classification_scores, make_splits, regression_scores
from backend.pipeline import build_pipeline, fitted_net
from backend.spec import ExperimentSpec

DATA_FILE = {data_file!r}
# The column of image files, read from a zip of the images (or the folder it was unpacked into); None for a table.
IMAGE_COLUMN = {image_column!r}

SPEC = ExperimentSpec.from_dict(
    {{
{spec_literal}
    }}
)

# What the run recorded, to compare with: its data's fingerprint and its scores (mean and std over folds).
RUN_FINGERPRINT = {fingerprint!r}
RUN_SCORES = {run_scores}


def load(path: str, scratch: str) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, str]:
    """The rows with a target, their features and target, and the data's fingerprint (images unpack in scratch)."""
    frame = read_image_data(path, IMAGE_COLUMN, scratch) if IMAGE_COLUMN else read_table(path)
    target = SPEC.data.target
    data = frame.loc[frame[target].notna()]
    X = data.drop(columns=[target])
    if SPEC.data.task == "classification":
        y = data[target].to_numpy()
        if y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0):
            y = y.astype(np.int64)  # an integer label column that had gaps was read as float
    else:
        y = pd.to_numeric(data[target]).to_numpy(dtype=np.float64)
    return data, X, y, fingerprint(frame)


def cross_validate(data: pd.DataFrame, X: pd.DataFrame, y: np.ndarray) -> list[dict]:
    """Fit a fresh pipeline on each fold's training rows and score it on the fold's held-out rows."""
    folds = []
    for fold, (train, test) in enumerate(make_splits(SPEC, y)):
        pipeline = build_pipeline(SPEC, data).fit(X.iloc[train], y[train])
        predicted = pipeline.predict(X.iloc[test])
        if SPEC.data.task == "classification":
            classes = list(fitted_net(pipeline).classes_)
            proba = pipeline.predict_proba(X.iloc[test])
            scores, _ = classification_scores(y[test], predicted, proba, classes)
        else:
            scores, _ = regression_scores(y[test], predicted)
        folds.append({{"fold": fold, "n_train": len(train), "n_test": len(test), **scores}})
    return folds


def summarise(folds: list[dict]) -> dict[str, dict[str, float]]:
    """Mean and standard deviation (ddof=0) of each metric over the folds."""
    summary = {{}}
    for metric in folds[0]:
        if metric not in ("fold", "n_train", "n_test"):
            values = np.array([f[metric] for f in folds if metric in f], dtype=np.float64)
            summary[metric] = {{"mean": float(values.mean()), "std": float(values.std())}}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_file", nargs="?", default=DATA_FILE, help="the data the run was trained on")
    parser.add_argument("--save", metavar="PATH", help="fit on every row and save the pipeline with joblib")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="torchwork-data-") as scratch:
        data, X, y, data_fingerprint = load(args.data_file, scratch)
        folds = cross_validate(data, X, y)
        if args.save:
            joblib.dump(build_pipeline(SPEC, data).fit(X, y), args.save)
    summary = summarise(folds)
    same_data = data_fingerprint == RUN_FINGERPRINT
    if args.json:
        print(json.dumps({{"folds": folds, "summary": summary, "same_data": same_data}}))
        return
    if not same_data:
        print(f"Note: {{args.data_file}} differs from the run's data; the scores will differ too.")
    print(f"{{'metric':<18}} {{'reproduced':>22}} {{'run':>22}}")
    for metric, stats in summary.items():
        run = RUN_SCORES.get(metric)
        recorded = f"{{run['mean']:.4f}} ± {{run['std']:.4f}}" if run else "-"
        print(f"{{metric:<18}} {{stats['mean']:>13.4f}} ± {{stats['std']:.4f}} {{recorded:>22}}")
    if args.save:
        print(f"Saved the pipeline fitted on {{len(data)}} rows to {{args.save}}")


if __name__ == "__main__":
    main()
'''


class CodeExportError(ValueError):
    """A spec the reproduction script cannot express."""


def export_script(
    spec: ExperimentSpec,
    *,
    data_file: str = "data.parquet",
    data_fingerprint: str = "",
    scores: Mapping[str, Mapping[str, float]] | None = None,
    run_id: str = "",
    script_name: str = "reproduce.py",
    data_note: str | None = None,
    image_column: str | None = None,
) -> str:
    """The source of a Python script that reproduces ``spec``'s evaluation on its data file.

    The script needs only Torchwork installed: it reads ``data_file`` (any format ``read_table`` reads, or
    a path given on its command line; with ``image_column``, the data zip of an image run, see
    :mod:`backend.artifacts.data_export`), rebuilds the pipeline with ``build_pipeline``, makes the folds with
    ``make_splits`` (the spec's seed) and prints the scores next to the run's. ``--json`` prints
    ``{"folds": [...], "summary": {metric: {"mean", "std"}}, "same_data": bool}``.

    Parameters
    ----------
    spec : ExperimentSpec
    data_file : str
        The default data path written into the script.
    data_fingerprint : str
        The run's data fingerprint (``backend.data.fingerprint``), so the script can tell other data apart.
    scores : mapping, optional
        The run's scores (metric -> ``{"mean", "std"}``), printed beside the reproduced ones.
    run_id, script_name, data_note : str
        Words for the script's docstring.
    image_column : str, optional
        The column of image files of an image run whose data file is a zip of its images and their table.

    Raises
    ------
    CodeExportError
        When the spec's evaluation is not one of :data:`SUPPORTED_MODES`, or it searches hyperparameters.
    """
    search = getattr(spec, "search", None)
    if search is not None and getattr(search, "mode", "none") != "none":
        raise CodeExportError(
            f"search.mode = {search.mode!r}: the reproduction script evaluates one fixed setting; export the "
            "spec of the best candidate (with search.mode = 'none') to reproduce its scores."
        )
    mode = spec.evaluation.mode
    if mode not in SUPPORTED_MODES:
        raise CodeExportError(
            f"evaluation.mode = {mode!r}: the reproduction script covers {' and '.join(SUPPORTED_MODES)} "
            "evaluations only; export the spec as JSON and evaluate it with backend.evaluate instead."
        )
    if data_note is None:
        data_note = (
            "the run's images with their table (downloaded from the Results page, beside this script); "
            "the folder it was unzipped into works too."
            if image_column
            else "the run's data snapshot (in the run's folder, beside this script)."
        )
    evaluation = (
        f"{spec.evaluation.folds}-fold cross-validation" if mode == "cv" else "holdout evaluation"
    ) + f", seed {spec.training.seed}"
    return _TEMPLATE.format(
        run_id=_doc(run_id or "(unsaved)", quote=""),
        task=spec.data.task,
        target=_doc(spec.data.target),
        evaluation=evaluation,
        script_name=_doc(script_name, quote=""),
        data_file=data_file,
        image_column=image_column,
        data_file_doc=_doc(data_file),
        data_note=_doc(data_note, quote=""),
        version=torchwork_version(),
        date=dt.date.today().isoformat(),
        spec_literal=_spec_literal(spec.to_dict()),
        fingerprint=data_fingerprint,
        run_scores=_scores_literal(scores or {}),
    )


def _scores_literal(scores: Mapping[str, Mapping[str, float]]) -> str:
    plain = {
        metric: {k: float(v) for k, v in stats.items() if k in ("mean", "std") and math.isfinite(v)}
        for metric, stats in scores.items()
    }
    return pprint.pformat(plain, width=100, sort_dicts=False)


def _spec_literal(sections: Mapping[str, Mapping[str, object]]) -> str:
    """The spec's sections as a Python dict literal, one field per line."""
    lines = []
    for name, fields in sections.items():
        lines.append(f"        {name!r}: {{")
        lines += [f"            {key!r}: {value!r}," for key, value in fields.items()]
        lines.append("        },")
    return "\n".join(lines)


def _doc(text: str, quote: str = "'") -> str:
    """``text`` for the script's docstring: quotes and backslashes, which could end or bend it, are replaced."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in str(text))
    return quote + cleaned.replace("\\", "/").replace('"', "'") + quote
