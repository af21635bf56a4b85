"""The command line: train a spec on a data file without the dashboard, into the same run store.

    python -m backend run spec.json --data table.csv [--home DIR] [--n-jobs N] [--scheduler ADDRESS]

The spec decides what runs: a holdout fit, cross-validation, or a hyperparameter search. The run is
stored like one started from the dashboard (it appears on the Runs page), progress is printed as it
happens, and the exit status says how it ended.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

EXIT_OK = 0
#: The run started but failed (a diverging loss, a worker error); its error is stored with it.
EXIT_FAILED = 1
#: Nothing ran: bad arguments, an unreadable or invalid spec, an unreadable data file, bad compute settings.
EXIT_USAGE = 2
#: Stopped with Ctrl-C; the run is kept as interrupted.
EXIT_INTERRUPTED = 130

_POLL_S = 0.25


class CommandError(Exception):
    """A problem with the command's inputs, reported as one line before anything runs."""


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m backend`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m backend",
        description="Torchwork's command line: train PyTorch models described by an experiment spec.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="train a spec on a data file and store the run",
        description=(
            "Train the experiment spec SPEC (a JSON file, as ExperimentSpec.to_json writes it; every run "
            "folder holds its own spec.json, and a run's model card JSON holds it too) on the table in --data, store the run in Torchwork's home, "
            "and print its progress. The spec decides what runs: a holdout fit, cross-validation, or a "
            "hyperparameter search (its search section). Exit status: 0 succeeded, 1 the run failed, "
            "2 nothing ran (bad spec, data file or settings), 130 interrupted."
        ),
    )
    run.add_argument(
        "spec", type=Path, metavar="SPEC", help="the experiment spec, a JSON file (or a run's model card JSON)"
    )
    run.add_argument(
        "--data",
        type=Path,
        required=True,
        metavar="FILE",
        help="the table to train on: CSV, TSV, Excel, Parquet or JSON (the format follows the extension)",
    )
    run.add_argument("--sheet", metavar="NAME", help="the sheet of an Excel workbook (default: the first)")
    run.add_argument(
        "--home",
        type=Path,
        metavar="DIR",
        help="Torchwork's home, where the run is stored (default: $TORCHWORK_HOME, else ~/.torchwork)",
    )
    run.add_argument("--name", help="the run's name on the Runs page (default: the spec file's name)")
    run.add_argument(
        "--n-jobs",
        type=int,
        metavar="N",
        help="local worker processes for cross-validation folds and a search's candidates and folds (-1: every "
        "core); overrides the home's settings and $TORCHWORK_N_JOBS",
    )
    run.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a Dask scheduler (tcp://host:8786) to run cross-validation folds and a search's fits on; an empty "
        "value runs locally; overrides the home's settings and $TORCHWORK_DASK_SCHEDULER",
    )
    run.add_argument("--quiet", action="store_true", help="print only the outcome")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; return its exit status."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "run":
        parser.print_help(err)
        return EXIT_USAGE
    try:
        return _run(args, out)
    except CommandError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted: the run is kept as interrupted", file=err)
        return EXIT_INTERRUPTED


def _run(args: argparse.Namespace, out: TextIO) -> int:
    # Heavy imports here, after argument parsing: `--help` answers at once.
    from backend.compute import N_JOBS_ENV, SCHEDULER_ENV, load_compute_settings
    from backend.data import read_table
    from backend.runs import RunStatus, RunStore, run_job_in_process

    spec = _read_spec(args.spec)
    say = (lambda line: None) if args.quiet else (lambda line: print(line, file=out, flush=True))
    try:
        frame = read_table(args.data, sheet=args.sheet)
    except (OSError, ValueError) as exc:
        raise CommandError(f"{args.data}: {exc}") from None
    _check_before_training(spec, frame, args.spec)
    for warning in spec.warnings():
        say(f"warning: {warning}")

    if args.n_jobs is not None:
        os.environ[N_JOBS_ENV] = str(args.n_jobs)
    if args.scheduler is not None:
        os.environ[SCHEDULER_ENV] = args.scheduler
    try:
        store = RunStore(args.home)
        settings = load_compute_settings(store.home)
    except (OSError, ValueError) as exc:
        raise CommandError(str(exc)) from None

    run_id = store.create_run(
        spec.to_dict(),
        frame,
        name=args.name or args.spec.stem,
        dataset=args.data.name,
        target=spec.data.target,
        task=spec.data.task,
    )
    say(
        f"Run {run_id} in {store.home}: {_what(spec, frame, settings)} on {len(frame)} rows of {args.data.name}"
    )
    printer = _ProgressPrinter(store, run_id, say)
    printer.start()
    try:
        status = run_job_in_process(store, run_id)
    finally:
        printer.stop()
    run = store.get_run(run_id)
    if status is not RunStatus.SUCCEEDED:
        print(f"Run {run_id} {run['status']}: {run['error']}", file=out, flush=True)
        return EXIT_FAILED
    print(_outcome(run_id, run, store.run_dir(run_id)), file=out, flush=True)
    return EXIT_OK


def _read_spec(path: Path) -> Any:
    """The spec in ``path``: a spec file, or a run's model card (whose ``spec`` field is the run's spec)."""
    import json

    from backend.spec import ExperimentSpec, SpecError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read the spec {path}: {exc}") from None
    try:
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"the spec is not valid JSON: {exc}") from None
        if _is_model_card(payload):
            if not isinstance(payload.get("spec"), dict):
                raise SpecError("this is a model card without a 'spec' field: pass a spec file instead")
            payload = payload["spec"]
        spec = ExperimentSpec.from_dict(payload)
        spec.validate()
    except SpecError as exc:
        raise CommandError(f"{path}: {exc}") from None
    return spec


def _is_model_card(payload: Any) -> bool:
    """A model card (``model_card.json`` of a run) rather than a bare spec: it has a ``card_version``."""
    return isinstance(payload, dict) and "card_version" in payload


def _check_before_training(spec: Any, frame: Any, path: Path) -> None:
    """The checks that need the data and no training: the columns, and a search's parameter names."""
    from backend.evaluate import resolve_space
    from backend.pipeline import build_pipeline
    from backend.spec import SpecError

    try:
        spec.validate(columns=[str(c) for c in frame.columns])
        if spec.search.mode != "none":
            resolve_space(spec, build_pipeline(spec, frame))
    except SpecError as exc:
        raise CommandError(f"{path}: {exc}") from None


def _what(spec: Any, frame: Any, settings: Any) -> str:
    """What the run will do, in words."""
    if spec.search.mode != "none":
        from backend.evaluate import plan_search

        target = frame[spec.data.target].dropna()
        classes = target.nunique() if spec.data.task == "classification" else None
        plan = plan_search(spec, n_rows=len(target), n_classes=classes)
        if settings.target == "dask":
            where = f"on the Dask cluster {settings.scheduler}"
        elif settings.n_jobs == 1:
            where = "in this process"
        else:
            where = "on every core" if settings.n_jobs == -1 else f"on {settings.n_jobs} local processes"
        return (
            f"{spec.search.mode} search of {plan.n_candidates} candidates × {plan.n_folds} folds "
            f"({plan.n_fits} fits) {where}"
        )
    if spec.evaluation.mode == "cv":
        return f"{spec.evaluation.folds}-fold cross-validation, then a fit on every row"
    return "a holdout fit, then a fit on every row"


def _outcome(run_id: str, run: dict, folder: Path) -> str:
    summary = run.get("summary") or {}
    lines = [f"Run {run_id} succeeded in {summary.get('duration_s', 0):.1f} s."]
    headline = summary.get("headline")
    if headline:
        spec = run.get("spec") or {}
        # A holdout run scores one split: there is no spread to show.
        single = (spec.get("evaluation") or {}).get("mode") == "holdout" and (spec.get("search") or {}).get(
            "mode", "none"
        ) == "none"
        spread = "" if single else f" ± {headline['std']:.4f}"
        lines.append(f"  {headline['metric']}: {headline['mean']:.4f}{spread}" + (" (holdout)" if single else ""))
    search = summary.get("search")
    if search:
        lines.append(
            f"  best of {search['n_candidates']} candidates by {search['metric']}: {_params(search['best_params'])}"
            + (" (stopped by the time limit)" if search["stopped_early"] else "")
        )
    files = summary.get("files", {})
    if "pipeline" in files:
        lines.append(f"  pipeline: {folder / files['pipeline']}")
    return "\n".join(lines)


def _params(params: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def _score_text(value: Any) -> str:
    return "n/a" if value is None or value != value else f"{value:.4f}"


class _ProgressPrinter:
    """Prints a run's events as the job records them, from a thread that polls the store."""

    def __init__(self, store: Any, run_id: str, say: Callable[[str], None]):
        self.store = store
        self.run_id = run_id
        self.say = say
        self._seen = 0
        self._sign = 1.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="torchwork-cli-progress", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._print_new()  # whatever arrived after the last look
        self.store.close()

    def _loop(self) -> None:
        while not self._stop.wait(_POLL_S):
            self._print_new()
        self.store.close()  # this thread's connection

    def _print_new(self) -> None:
        for event in self.store.events(self.run_id)[self._seen :]:
            self._seen += 1
            line = self._line(event["kind"], event["payload"])
            if line:
                self.say(line)

    def _line(self, kind: str, p: dict) -> str:
        if kind == "search":
            # Print scores as the metric reads (an error, not its negation).
            self._sign = 1.0 if p["greater_is_better"] else -1.0
            return f"Searching {', '.join(p['names'])} by {p['metric']} on {p['compute']}"
        if kind == "progress":
            return f"[{p['done']}/{p['total']}] {p['message']}"
        if kind == "fold_end":
            scores = ", ".join(f"{k} {_score_text(v)}" for k, v in p["scores"].items())
            return f"  fold {p['fold'] + 1}: {scores}"
        if kind == "candidate_end":
            mean, std = p["mean_score"], p["std_score"]
            score = "failed" if mean is None or mean != mean else f"{self._sign * mean:.4f} ± {std:.4f}"
            return f"  candidate {p['candidate'] + 1} (round {p['iteration'] + 1}): {score}  {_params(p['params'])}"
        return ""
