"""The Runs page: every run in a table, opened in Results, compared side by side, deleted with its files."""

from __future__ import annotations

import json

from backend.data import load_sample
from dashboard import services


def click(at, label: str):
    next(b for b in at.button if b.label == label).click().run()
    return at


def stored_run(status: str, name: str = "old") -> str:
    """A run that never trained, moved to ``status`` (queued or cancelled)."""
    store = services.store()
    run_id = store.create_run(
        {"data": {"target": "species"}},
        load_sample("iris"),
        name=name,
        dataset="iris",
        target="species",
        task="classification",
    )
    if status != "queued":
        store.set_status(run_id, status)
    return run_id


def test_the_table_lists_every_run_with_status_model_score_and_duration(trained, open_page):
    at = open_page("runs")
    table = at.dataframe[0].value.set_index("run")
    assert set(table.index) >= set(trained.values())
    iris = table.loc[trained["iris"]]
    assert iris["status"] == "succeeded"
    assert iris["dataset"] == "iris" and iris["target"] == "species"
    assert iris["model"] == "MLP 8 relu · 2-fold CV"
    assert iris["score"].startswith("Accuracy ") and " ± " in iris["score"]
    assert iris["duration"].endswith("s")
    assert table.loc[trained["diabetes"], "score"].startswith("R² ")


def test_open_in_results_shows_that_run(trained, open_page):
    at = open_page("runs")
    at.multiselect(key="w.runs.selected").set_value([trained["diabetes"]]).run()
    click(at, "Open in Results")
    assert at.session_state["tw.run"] == trained["diabetes"]
    assert "Residuals (out-of-fold)" in [
        json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")
    ]


def test_comparing_two_runs_puts_scores_side_by_side_and_overlays_curves(trained, open_page):
    at = open_page("runs")
    ids = [trained["iris"], trained["diabetes"]]
    at.multiselect(key="w.runs.selected").set_value(ids).run()
    assert not at.exception and not at.error
    side = at.dataframe[1].value
    assert [c.split(" · ")[0] for c in side.columns] == ids
    assert {"Accuracy", "R²"} <= set(side.index)
    curves = next(
        json.loads(c.proto.spec) for c in at.get("plotly_chart") if "mean over folds" in c.proto.spec
    )
    assert {trace["legendgroup"] for trace in curves["data"]} == {
        f"{i} · tiny {name}" for i, name in zip(ids, ("iris", "diabetes"), strict=True)
    }


def test_delete_asks_first_then_removes_the_run_and_its_files(open_page):
    run_id = stored_run("cancelled")
    folder = services.store().run_dir(run_id)
    assert folder.is_dir()
    at = open_page("runs")
    at.multiselect(key="w.runs.selected").set_value([run_id]).run()
    click(at, "Delete")
    assert "cannot be undone" in at.warning[0].value
    assert services.store().get_run(run_id) is not None
    click(at, "Yes, delete")
    assert services.store().get_run(run_id) is None
    assert not folder.exists()
    assert "No runs yet" in at.info[0].value


def test_a_queued_run_is_kept_with_the_reason(open_page):
    run_id = stored_run("queued")
    at = open_page("runs")
    at.multiselect(key="w.runs.selected").set_value([run_id]).run()
    click(at, "Delete")
    click(at, "Yes, delete")
    assert not at.exception
    assert f"Run {run_id} was kept" in at.error[0].value and "cancel it before deleting it" in at.error[0].value
    assert services.store().get_run(run_id) is not None


def test_deleting_drops_the_deleted_runs_from_the_selection_and_keeps_the_others(open_page):
    kept, deleted = stored_run("queued", name="waiting"), stored_run("cancelled", name="stopped")
    at = open_page("runs")
    at.multiselect(key="w.runs.selected").set_value([kept, deleted]).run()
    click(at, "Delete")
    click(at, "Yes, delete")
    assert not at.exception
    assert services.store().get_run(deleted) is None
    # The kept run is still chosen, so the buttons act on it at once.
    assert at.multiselect(key="w.runs.selected").value == [kept]
    assert at.session_state["w.runs.selected"] == [kept]
    buttons = {b.label: b for b in at.button}
    assert not buttons["Open in Results"].disabled and not buttons["Cancel"].disabled
    assert "Delete 1 run (" not in "".join(w.value for w in at.warning)


def test_a_holdout_run_scores_without_spread(trained, open_page):
    at = open_page("runs")
    table = at.dataframe[0].value.set_index("run")
    holdout = table.loc[trained["iris_holdout"], "score"]
    assert holdout.startswith("Accuracy ") and "±" not in holdout
    assert "±" in table.loc[trained["iris"], "score"]
    at.multiselect(key="w.runs.selected").set_value([trained["iris"], trained["iris_holdout"]]).run()
    side = at.dataframe[1].value
    assert "±" in side.iloc[:, 0].iloc[0] and "±" not in side.iloc[:, 1].iloc[0]
    assert "no spread" in "".join(c.value for c in at.caption)
