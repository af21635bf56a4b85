import numpy as np
import pandas as pd
import pytest

from backend.data import load_sample
from backend.evaluate import FINAL_FOLD, run_experiment
from backend.net import TrainingDivergedError
from backend.spec import ExperimentSpec, SpecError


def _spec(target: str, task: str = "classification", **evaluation) -> ExperimentSpec:
    spec = ExperimentSpec.for_target(target, task)
    spec.model.hidden_units = (8,)
    spec.training.max_epochs = 3
    spec.training.patience = 2
    spec.training.lr = 0.01
    for key, value in evaluation.items():
        setattr(spec.evaluation, key, value)
    return spec


def test_cv_on_iris_scores_each_fold_and_predicts_every_row_once():
    frame = load_sample("iris")
    events = []
    result = run_experiment(_spec("species", folds=3), frame, report=events.append)

    assert list(result.fold_scores["fold"]) == [0, 1, 2]
    assert list(result.fold_scores["n_test"]) == [50, 50, 50]
    for metric in ("accuracy", "balanced_accuracy", "f1_macro", "roc_auc"):
        assert result.fold_scores[metric].between(0, 1).all()
        assert result.summary[metric]["mean"] == pytest.approx(result.fold_scores[metric].mean())
    assert (result.fold_scores["log_loss"] > 0).all()

    oof = result.oof
    assert sorted(oof["row"]) == list(frame.index)
    assert list(oof["row"]) == list(frame.index)  # in the frame's order
    np.testing.assert_array_equal(oof["true"], frame["species"])
    proba = oof[["proba_setosa", "proba_versicolor", "proba_virginica"]].to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(oof["predicted"]) <= {"setosa", "versicolor", "virginica"}
    assert result.classes == ["setosa", "versicolor", "virginica"]
    assert result.n_dropped == 0 and result.duration > 0


def test_report_receives_epochs_for_each_fold_then_the_final_fit():
    events = []
    result = run_experiment(_spec("species", folds=2), load_sample("iris"), report=events.append)
    epochs = [e for e in events if e["kind"] == "epoch"]
    assert sorted({e["fold"] for e in epochs}) == [FINAL_FOLD, 0, 1]
    for fold in (0, 1, FINAL_FOLD):
        records = [e for e in epochs if e["fold"] == fold]
        assert [e["epoch"] for e in records] == [1, 2, 3]
        assert all(np.isfinite(e["train_loss"]) and np.isfinite(e["valid_loss"]) for e in records)
        assert len(result.histories[fold]) == 3
    ends = [e for e in events if e["kind"] == "fold_end"]
    assert [e["fold"] for e in ends] == [0, 1]
    assert (
        ends[0]["scores"]
        == result.fold_scores.drop(columns=["fold", "n_train", "n_test", "epochs"]).iloc[0].to_dict()
    )
    progress = [e for e in events if e["kind"] == "progress"]
    assert progress[-1]["done"] == progress[-1]["total"] == 3
    assert all(isinstance(e["message"], str) and e["message"] for e in progress)
    # The final fit comes last.
    assert epochs[-1]["fold"] == FINAL_FOLD


def test_final_pipeline_is_fitted_on_every_row_and_predicts_labels():
    frame = load_sample("breast_cancer")
    result = run_experiment(_spec("diagnosis", mode="holdout"), frame)
    predicted = result.pipeline.predict(frame.drop(columns="diagnosis").head(10))
    assert set(predicted) <= {"malignant", "benign"}
    # Three epochs at lr 0.01 already separate the two diagnoses well.
    assert result.summary["accuracy"]["mean"] > 0.85
    assert result.summary["roc_auc"]["mean"] > 0.9


def test_holdout_scores_one_split_of_the_fraction():
    frame = load_sample("wine")
    result = run_experiment(_spec("cultivar", mode="holdout", holdout_fraction=0.25), frame)
    assert len(result.fold_scores) == 1
    assert result.fold_scores.loc[0, "n_test"] == len(result.oof) == 45
    assert result.oof["row"].is_unique
    assert result.summary["accuracy"]["std"] == 0.0
    assert set(result.histories) == {0, FINAL_FOLD}


def test_regression_cv_on_diabetes():
    frame = load_sample("diabetes")
    result = run_experiment(_spec("disease_progression", "regression", folds=3, stratified=False), frame)
    assert set(result.summary) == {"rmse", "mae", "r2"}
    assert (result.fold_scores["rmse"] >= result.fold_scores["mae"]).all()
    assert (result.fold_scores["r2"] <= 1).all()
    assert list(result.oof.columns) == ["row", "fold", "true", "predicted"]
    assert len(result.oof) == len(frame) and result.classes == []
    # Epochs reach the caller through the standardised-target wrapper too.
    assert {fold: len(records) for fold, records in result.histories.items()} == {
        0: 3,
        1: 3,
        2: 3,
        FINAL_FOLD: 3,
    }
    # The target is standardised while training: errors are on the target's scale, not far off it.
    assert result.summary["rmse"]["mean"] < 2 * frame["disease_progression"].std()


def test_rows_with_a_missing_target_are_dropped_and_counted():
    frame = load_sample("iris")
    frame["species"] = frame["species"].astype(object)
    frame.loc[[3, 70, 140], "species"] = None
    result = run_experiment(_spec("species", folds=2), frame)
    assert result.n_dropped == 3
    assert len(result.oof) == 147 and not set(result.oof["row"]) & {3, 70, 140}


def test_a_categorical_column_is_learned_inside_each_fold():
    rng = np.random.default_rng(0)
    n = 60
    colour = rng.choice(["red", "green", "blue"], n)
    frame = pd.DataFrame(
        {"colour": colour, "size": rng.normal(size=n), "label": np.where(colour == "red", "r", "x")}
    )
    result = run_experiment(_spec("label", folds=3), frame)
    assert len(result.oof) == n
    assert result.pipeline.predict(pd.DataFrame({"colour": ["purple"], "size": [0.0]}))[0] in {"r", "x"}


def test_spec_that_does_not_fit_the_data_fails_before_training():
    events = []
    frame = load_sample("iris").iloc[:53]  # 50 setosa, 3 versicolor
    with pytest.raises(SpecError, match="class 'versicolor' has only 3 row"):
        run_experiment(_spec("species", folds=5), frame, report=events.append)
    assert events == []


def test_non_numeric_regression_target_is_a_spec_error():
    spec = _spec("species", "regression", stratified=False)
    with pytest.raises(SpecError, match="regression needs a numeric target"):
        run_experiment(spec, load_sample("iris"))


def test_diverging_training_raises_a_readable_error():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=40) * 1e30, "y": rng.normal(size=40)})
    spec = _spec("y", "regression", mode="holdout")
    spec.data.numeric_scaler = "none"
    with pytest.raises(TrainingDivergedError, match="Lower the learning rate"):
        run_experiment(spec, frame)


def test_integer_labels_stay_integers_when_the_target_had_gaps():
    frame = load_sample("iris")
    frame["species"] = frame["species"].map({"setosa": 0, "versicolor": 1, "virginica": 2}).astype(float)
    frame.loc[5, "species"] = np.nan
    result = run_experiment(_spec("species", folds=2), frame)
    assert result.classes == [0, 1, 2]
    assert [c for c in result.oof.columns if c.startswith("proba_")] == ["proba_0", "proba_1", "proba_2"]
    assert result.pipeline.predict(frame.drop(columns="species").head(3)).dtype.kind == "i"
