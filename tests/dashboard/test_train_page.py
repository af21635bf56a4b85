"""The Train page: a run trains in a worker process, streams its epochs, can be cancelled, survives reloads."""

from __future__ import annotations

import subprocess
import sys
import time

from backend.data import load_sample
from backend.spec import ExperimentSpec
from dashboard import services


def settle(at, until, timeout: float = 180.0, every: float = 0.5):
    """Rerun the page (what the browser's timer does) until ``until(at)`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        if until(at):
            return at
        time.sleep(every)
    raise AssertionError("the page never reached the expected state")


def run_caption(at) -> str:
    return next((c.value for c in at.caption if c.value.startswith("Run `")), "")


def configure(at, sample: str, **training):
    """Pick a sample and tiny settings (2 folds, a small net) through the pages' own widgets."""
    at.selectbox(key="w.data.sample").set_value(sample).run()
    at.switch_page("views/model.py").run()
    at.text_input(key="w.model.hidden_units").set_value("8")
    at.number_input(key="w.evaluation.folds").set_value(2)
    values = {"max_epochs": 3, "patience": 2, **training}
    for name, value in values.items():
        widget = at.toggle(key=f"w.training.{name}") if isinstance(value, bool) else at.number_input(key=f"w.training.{name}")
        widget.set_value(value)
    at.run()
    assert not at.error, [e.value for e in at.error]
    return at.switch_page("views/train.py").run()


def click(at, label: str):
    next(b for b in at.button if b.label == label).click().run()
    return at


def test_a_run_trains_streams_its_epochs_and_ends_succeeded(app):
    at = configure(app, "iris")
    click(at, "Train")
    assert not at.error and not at.exception
    run_id = at.session_state["tw.run"]
    assert at.query_params["run"] == run_id
    at = settle(at, lambda a: "succeeded" in run_caption(a))
    assert at.get("progress")[0].value == 100
    epochs = services.store().epochs(run_id)
    # Two folds and the final fit, three epochs each.
    assert sorted(epochs.groupby("fold").size().items()) == [(-1, 3), (0, 3), (1, 3)]
    # One chart per recorded quantity (loss, accuracy), one curve per fold.
    assert len(at.get("plotly_chart")) == 2
    assert "Training finished." in [s.value for s in at.success]


def test_cancel_stops_the_running_job_and_a_queued_one_within_seconds(app, monkeypatch):
    monkeypatch.setenv(services.MAX_JOBS_ENV, "1")
    at = configure(app, "iris", max_epochs=10000, early_stopping=False)
    click(at, "Train")
    first = at.session_state["tw.run"]
    click(at, "Train")
    second = at.session_state["tw.run"]
    store = services.store()
    assert store.get_run(second)["status"] == "queued"
    # The queue lists both runs.
    assert set(at.dataframe[0].value["run"]) == {first, second}
    settle(at, lambda a: store.get_run(first)["status"] == "running" and len(store.epochs(first)) > 0)

    click(at, "Cancel")  # the run in view: the queued one
    assert store.get_run(second)["status"] == "cancelled"
    at.session_state["tw.run"] = first
    at.run()
    click(at, "Cancel")
    assert store.get_run(first)["status"] == "cancelled"
    assert services.runner().active_runs() == []
    at.run()
    assert "The run was cancelled" in "\n".join(i.value for i in at.info)


def test_a_reload_with_the_run_in_the_url_reattaches_and_a_second_tab_sees_it(trained, open_page):
    run_id = trained["iris"]
    for _tab in range(2):
        at = open_page("train", run=run_id)
        assert not at.exception
        assert run_caption(at) == f"Run `{run_id}` · succeeded"
        assert at.session_state["tw.run"] == run_id


def test_a_failing_job_ends_failed_with_a_readable_message_and_the_app_keeps_working(open_page):
    store, runner = services.store(), services.runner()
    frame = load_sample("iris").drop(columns=["species"])
    spec = {"data": {"target": "species"}, "training": {"max_epochs": 2, "patience": 1}}
    # The snapshot lacks the target column: the worker's own check fails the run.
    run_id = store.create_run(spec, frame, name="broken", dataset="iris", target="species", task="classification")
    runner.submit(run_id)
    at = open_page("train", run=run_id)
    at = settle(at, lambda a: "failed" in run_caption(a))
    errors = "\n".join(e.value for e in at.error)
    assert "The run failed:" in errors and "'species' is not a column of the data" in errors
    assert not at.exception
    at.switch_page("views/data.py").run()
    assert not at.exception and not at.error


def test_runs_whose_server_died_show_as_interrupted(open_page):
    store = services.store()
    run_id = store.create_run(
        {"data": {"target": "species"}},
        load_sample("iris"),
        name="orphan",
        dataset="iris",
        target="species",
        task="classification",
    )
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store.set_status(run_id, "running", pid=dead.pid)
    # A new server process: its store marks runs whose worker is gone.
    services.shutdown_runners()
    services.st.cache_resource.clear()
    at = open_page("runs")
    table = at.dataframe[0].value.set_index("run")
    assert table.loc[run_id, "status"] == "interrupted"


def test_a_cancelled_run_reads_cancelled_where_its_progress_was(open_page):
    store = services.store()
    spec = ExperimentSpec.for_target("species")
    spec.evaluation.folds = 3
    run_id = store.create_run(
        spec.to_dict(),
        load_sample("iris"),
        name="stopped early",
        dataset="iris",
        target="species",
        task="classification",
    )
    store.add_event(run_id, "progress", {"done": 0, "total": 4, "message": "Fold 1 of 3: training"})
    store.set_status(run_id, "cancelled")
    at = open_page("train", run=run_id)
    assert not at.exception
    bar = at.get("progress")[0]
    assert bar.proto.text == "Cancelled — stopped at Fold 1 of 3: training"
    assert "The run was cancelled" in "\n".join(i.value for i in at.info)
    assert "run(s)" not in "\n".join(c.value for c in at.caption)
