import numpy as np
import pandas as pd
import pytest

from backend.data import infer_schema
from backend.preprocess import build_preprocessor, feature_columns
from backend.spec import ExperimentSpec, SpecError


def _frame(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(n)],
            "age": rng.normal(40, 10, n).round(1),
            "income": np.where(np.arange(n) % 7 == 0, np.nan, rng.normal(5e4, 1e4, n)),
            "city": rng.choice(["paris", "lyon", "nice"], n).astype(object),
            "member": rng.random(n) > 0.5,
            "country": ["fr"] * n,
            "churn": rng.choice(["yes", "no"], n),
        }
    )


def _spec(**data) -> ExperimentSpec:
    spec = ExperimentSpec.for_target("churn")
    for key, value in data.items():
        setattr(spec.data, key, value)
    return spec


def _fit(spec: ExperimentSpec, frame: pd.DataFrame):
    preprocessor = build_preprocessor(spec, infer_schema(frame))
    return preprocessor, preprocessor.fit_transform(frame.drop(columns=spec.data.target))


def test_columns_are_grouped_by_role():
    frame = _frame()
    groups = feature_columns(_spec(exclude=["age"]), infer_schema(frame))
    assert groups["numeric"] == ["income"]
    assert groups["categorical"] == ["city", "member"]
    assert set(groups["dropped"]) == {"customer_id", "country", "age"}
    assert groups["dropped"]["age"] == "excluded"
    assert groups["dropped"]["country"] == "role constant"


def test_output_is_dense_float32_with_one_column_per_category():
    preprocessor, X = _fit(_spec(), _frame())
    assert isinstance(X, np.ndarray) and X.dtype == np.float32
    assert list(preprocessor.get_feature_names_out()) == [
        "numeric__age",
        "numeric__income",
        "categorical__city_lyon",
        "categorical__city_nice",
        "categorical__city_paris",
        "categorical__member_False",
        "categorical__member_True",
    ]
    assert not np.isnan(X).any()
    # One-hot blocks have exactly one 1 per row.
    np.testing.assert_array_equal(X[:, 2:5].sum(axis=1), 1.0)


def test_numeric_columns_are_imputed_then_standardised():
    _, X = _fit(_spec(), _frame())
    np.testing.assert_allclose(X[:, :2].mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(X[:, :2].std(axis=0), 1.0, atol=0.2)


def test_infinities_are_imputed_like_blanks_at_fit_and_at_predict():
    frame = _frame()
    frame.loc[[1, 2], "age"] = [np.inf, -np.inf]
    preprocessor, X = _fit(_spec(numeric_impute="median", numeric_scaler="none"), frame)
    assert np.isfinite(X).all()
    median = np.median(frame["age"].drop([1, 2]))
    np.testing.assert_allclose(X[[1, 2], 0], median, rtol=1e-6)
    new = frame.drop(columns="churn").head(1).assign(age=np.inf)
    np.testing.assert_allclose(preprocessor.transform(new)[0, 0], median, rtol=1e-6)


@pytest.mark.parametrize(("scaler", "low", "high"), [("minmax", 0.0, 1.0), ("none", 10.0, 1e6)])
def test_scaler_choice_is_applied(scaler, low, high):
    _, X = _fit(_spec(numeric_scaler=scaler), _frame())
    assert X[:, 0].min() >= low - 1e-6 and X[:, 0].max() <= high + 1e-6
    if scaler == "none":
        np.testing.assert_allclose(X[:, 0], _frame()["age"].to_numpy(), rtol=1e-6)


def test_constant_imputation_fills_zero_and_a_missing_category():
    frame = _frame()
    frame.loc[0, "city"] = None
    spec = _spec(numeric_impute="constant", numeric_scaler="none", categorical_impute="constant")
    preprocessor, X = _fit(spec, frame)
    names = list(preprocessor.get_feature_names_out())
    assert X[0, names.index("numeric__income")] == 0.0
    assert "categorical__city_missing" in names
    assert X[0, names.index("categorical__city_missing")] == 1.0


def test_unseen_category_encodes_as_zeros_instead_of_failing():
    frame = _frame()
    preprocessor, _ = _fit(_spec(), frame)
    new = frame.drop(columns="churn").head(2).copy()
    new["city"] = ["berlin", "paris"]
    X = preprocessor.transform(new)
    np.testing.assert_array_equal(X[0, 2:5], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(X[1, 2:5], [0.0, 0.0, 1.0])


def test_integer_codes_read_the_same_with_and_without_gaps():
    # In training the code column has a gap (so pandas reads it as float); at prediction it has none.
    frame = pd.DataFrame({"grade": [1, 2, 3, None] * 10, "x": np.arange(40.0), "y": [0, 1] * 20})
    frame["grade"] = frame["grade"].astype("float64")
    spec = ExperimentSpec.for_target("y")
    schema = infer_schema(frame)
    assert feature_columns(spec, schema)["categorical"] == ["grade"]
    preprocessor = build_preprocessor(spec, schema).fit(frame.drop(columns="y"))
    names = list(preprocessor.get_feature_names_out())
    assert "categorical__grade_2" in names
    X = preprocessor.transform(pd.DataFrame({"grade": [2], "x": [1.0]}))
    assert X[0, names.index("categorical__grade_2")] == 1.0


def test_too_many_categories_names_the_column_and_suggests_excluding_it():
    frame = _frame()
    frame["city"] = [f"town{i % 30}" for i in range(len(frame))]
    with pytest.raises(SpecError) as info:
        build_preprocessor(_spec(max_categories=20), infer_schema(frame))
    message = str(info.value)
    assert "'city' has 30 distinct values" in message and "data.exclude" in message
    build_preprocessor(_spec(max_categories=20, exclude=["city"]), infer_schema(frame))


def test_no_usable_column_is_refused():
    frame = _frame()[["customer_id", "country", "churn"]]
    with pytest.raises(SpecError, match="no column is left to learn from"):
        build_preprocessor(_spec(), infer_schema(frame))
