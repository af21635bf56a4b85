"""scikit-learn's generic estimator contract, run on the classifier and regressor with the zoo MLP."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from backend import NeuralNetClassifier, NeuralNetRegressor
from backend.modules import MLP

SETTINGS = dict(max_epochs=20, lr=0.03, batch_size=32, verbose=0, random_state=0, module__hidden_units=(32,))

# Mini-batch SGD visits a row with weight 2 once per epoch, a duplicated row twice in different batches, so
# weighting and repeating rows give close but not identical models; sklearn asks for equality to 1e-7.
SAMPLE_WEIGHT_REASON = "mini-batch training: weight 2 and a repeated row differ in batch composition"
# float32 matrix products round differently for different batch shapes (one unit in the last place);
# sklearn compares regression outputs of a subset to 1e-7. Labels (the classifier's predict) are unaffected.
# (Permuting the rows keeps the batch shape, and check_methods_sample_order_invariance passes.)
FLOAT32_REASON = "float32 outputs of a subset can differ by one ulp from the full batch's"


def expected_failures(estimator):
    failures = {"check_sample_weight_equivalence_on_dense_data": SAMPLE_WEIGHT_REASON}
    if isinstance(estimator, NeuralNetRegressor):
        failures["check_methods_subset_invariance"] = FLOAT32_REASON
    return failures


# Not strict: whether float32 rounding differs by an ulp depends on the CPU's matrix kernels, so the
# subset check may pass on one machine and fail on another. Pytest lists an unexpected pass (XPASS).
@parametrize_with_checks(
    [NeuralNetClassifier(MLP, **SETTINGS), NeuralNetRegressor(MLP, **SETTINGS)],
    expected_failed_checks=expected_failures,
    xfail_strict=False,
)
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)
