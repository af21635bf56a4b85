"""The Model page: widgets drawn from the spec's field metadata, validation before training, the pipeline."""

from __future__ import annotations

import pytest

from backend.spec import SECTIONS, field_specs
from backend.spec.sections import ARCHITECTURES_FOR

FORM_SECTIONS = ("model", "training", "evaluation")


@pytest.fixture
def page(open_page):
    return open_page("model")


def widget(at, section: str, name: str):
    """The widget editing ``section.name``, whatever its kind."""
    key = f"w.{section}.{name}"
    for kind in ("number_input", "toggle", "selectbox", "text_input"):
        found = [w for w in getattr(at, kind) if w.key == key]
        if found:
            return found[0]
    raise AssertionError(f"no widget for {section}.{name}")


def text_of(elements) -> str:
    return "\n".join(e.value for e in elements)


def for_images_or_text(fs) -> bool:
    return not fs.applies_to("table", "mlp")


def test_every_table_setting_has_a_widget_with_the_fields_label_help_and_bounds(page):
    assert not page.exception
    for section in FORM_SECTIONS:
        for fs in field_specs(SECTIONS[section]):
            if for_images_or_text(fs):
                with pytest.raises(AssertionError):
                    widget(page, section, fs.name)
                continue
            w = widget(page, section, fs.name)
            assert w.label == fs.label
            assert w.help.startswith(fs.help)
            if fs.kind in ("int", "float"):
                assert w.min == fs.min and w.max == fs.max
            if fs.kind == "choice":
                allowed = ARCHITECTURES_FOR["table"] if fs.name == "architecture" else fs.choices
                assert w.value in allowed and len(w.options) == len(allowed)


def test_preprocessing_strategies_are_editable_and_reach_the_pipeline(page):
    widget(page, "data", "numeric_scaler").set_value("minmax").run()
    assert page.session_state["tw.spec"]["data"]["numeric_scaler"] == "minmax"
    steps = page.dataframe[0].value["steps"].tolist()
    assert any("MinMaxScaler" in s for s in steps)


def test_the_pipeline_lists_preprocessing_layers_and_parameter_count(page):
    groups, layers = page.dataframe[0].value, page.dataframe[1].value
    assert groups["group"].tolist() == ["numeric"]
    assert groups["features out"].tolist() == [30]
    # 30 inputs -> 64 -> 32 -> 2 classes.
    assert layers["parameters"].sum() == 30 * 64 + 64 + 64 * 32 + 32 + 32 * 2 + 2
    assert "4,130 parameters" in text_of(page.markdown)


def test_hidden_layer_sizes_change_the_network(page):
    widget(page, "model", "hidden_units").set_value("16, 8, 4").run()
    layers = page.dataframe[1].value
    assert layers["type"].tolist().count("Linear") == 4
    assert page.session_state["tw.spec"]["model"]["hidden_units"] == [16, 8, 4]


def test_hidden_layers_that_are_not_numbers_are_explained_and_the_spec_keeps_its_value(page):
    widget(page, "model", "hidden_units").set_value("64, lots").run()
    assert "is not a list of whole numbers" in text_of(page.error)
    assert page.session_state["tw.spec"]["model"]["hidden_units"] == [64, 32]


def test_an_invalid_combination_is_explained_before_training(page):
    widget(page, "training", "valid_fraction").set_value(0.0).run()
    message = text_of(page.error)
    assert "This combination cannot train yet" in message
    assert "**Early stopping** = True needs a validation split" in message
    assert not page.success
    page.switch_page("views/train.py").run()
    assert page.button[0].label == "Train" and page.button[0].disabled


def test_patience_not_below_the_epochs_is_a_warning_and_training_stays_possible(page):
    widget(page, "training", "max_epochs").set_value(4)
    widget(page, "training", "patience").set_value(5).run()
    assert not page.error
    warning = text_of(page.warning)
    assert "**Patience** = 5 is not below **Epochs** = 4: every epoch trains" in warning
    assert "valid for this dataset" in text_of(page.success)
    page.switch_page("views/train.py").run()
    assert page.button[0].label == "Train" and not page.button[0].disabled


def test_layer_output_shapes_read_batch_times_size(page):
    shapes = page.dataframe[1].value["output shape"].tolist()
    assert "batch × 64" in shapes and not any("(" in s for s in shapes)


def test_settings_that_do_not_apply_are_disabled_with_the_reason(page):
    assert widget(page, "evaluation", "holdout_fraction").disabled
    widget(page, "evaluation", "mode").set_value("holdout").run()
    assert not widget(page, "evaluation", "holdout_fraction").disabled
    assert widget(page, "evaluation", "folds").disabled
    assert "(Cross-validation only.)" in widget(page, "evaluation", "folds").help


def test_settings_survive_a_visit_to_another_page(page):
    widget(page, "training", "lr").set_value(0.01)
    widget(page, "model", "activation").set_value("tanh").run()
    page.switch_page("views/data.py").run()
    page.switch_page("views/model.py").run()
    assert widget(page, "training", "lr").value == pytest.approx(0.01)
    assert widget(page, "model", "activation").value == "tanh"


def test_reset_restores_the_defaults_but_keeps_the_target(page):
    widget(page, "model", "dropout").set_value(0.5).run()
    next(b for b in page.button if b.label.startswith("Reset")).click().run()
    assert widget(page, "model", "dropout").value == 0.0
    assert page.session_state["tw.spec"]["data"]["target"] == "diagnosis"
