import numpy as np

from backend.evaluate import make_splits
from backend.spec import ExperimentSpec


def _spec(task="classification", **evaluation) -> ExperimentSpec:
    spec = ExperimentSpec.for_target("y", task)
    for key, value in evaluation.items():
        setattr(spec.evaluation, key, value)
    return spec


def test_cv_folds_partition_the_rows():
    y = np.array(["a"] * 30 + ["b"] * 10)
    splits = make_splits(_spec(folds=5), y)
    assert len(splits) == 5
    tests = np.concatenate([test for _, test in splits])
    np.testing.assert_array_equal(np.sort(tests), np.arange(40))
    for train, test in splits:
        assert not set(train) & set(test)


def test_stratified_folds_keep_class_shares():
    y = np.array(["a"] * 30 + ["b"] * 10)
    for _, test in make_splits(_spec(folds=5), y):
        assert list(np.unique(y[test], return_counts=True)[1]) == [6, 2]


def test_splits_are_reproducible_from_the_seed_and_change_with_it():
    y = np.arange(50.0)
    spec = _spec("regression", stratified=False)
    first = [test.tolist() for _, test in make_splits(spec, y)]
    assert first == [test.tolist() for _, test in make_splits(spec, y)]
    spec.training.seed = 1
    assert first != [test.tolist() for _, test in make_splits(spec, y)]


def test_holdout_holds_out_the_fraction_stratified():
    y = np.array(["a"] * 80 + ["b"] * 20)
    ((train, test),) = make_splits(_spec(mode="holdout", holdout_fraction=0.25), y)
    assert len(test) == 25 and len(train) == 75
    assert (y[test] == "b").sum() == 5


def test_holdout_without_shuffling_holds_out_the_last_rows():
    y = np.arange(10.0)
    ((train, test),) = make_splits(_spec("regression", mode="holdout", shuffle=False, stratified=False), y)
    assert test.tolist() == [8, 9] and train.tolist() == list(range(8))
