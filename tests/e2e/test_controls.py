"""Every control reaches the server: the session's `config` echo shows the new value."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def select(selector, value):
    return lambda page: page.select_option(selector, value)


def slide(selector, value):
    return lambda page: page.fill(selector, str(value))


def click(*selectors):
    def run(page):
        for s in selectors:
            page.click(s)

    return run


def advanced(selector, how, value=None, optimizer=None):
    def run(page):
        page.click("[data-action=settings]")
        if optimizer:  # its own fields show only when that optimizer is chosen
            page.select_option("[data-advanced] [data-field=optimizer]", optimizer)
        target = page.locator(f"[data-advanced] {selector}")
        if how == "select":
            target.select_option(value)
        elif how == "check":
            target.click()
        else:
            target.fill(str(value))
            target.press("Enter")

    return run


def type_neurons(layer, value):
    def run(page):
        page.click(f"[data-neurons='{layer}']")
        page.fill(f"[data-neuron-input='{layer}']", str(value))
        page.press(f"[data-neuron-input='{layer}']", "Enter")

    return run


CONTROLS = [
    (
        "learning_rate",
        select("[data-field=learning_rate]", "0.3"),
        lambda c: c["learning_rate"] == 0.3,
    ),
    ("activation", select("[data-field=activation]", "relu"), lambda c: c["activation"] == "relu"),
    (
        "regularization",
        select("[data-field=regularization]", "l2"),
        lambda c: c["regularization"] == "l2",
    ),
    (
        "regularization_rate",
        select("[data-field=regularization_rate]", "0.01"),
        lambda c: c["regularization_rate"] == 0.01,
    ),
    (
        "problem",
        select("[data-field=problem]", "regression"),
        lambda c: c["problem"] == "regression" and c["dataset"] == "plane",
    ),
    ("train_percent", slide("[data-field=train_percent]", 70), lambda c: c["train_percent"] == 70),
    ("noise", slide("[data-field=noise]", 25), lambda c: c["noise"] == 25),
    ("batch_size", slide("[data-field=batch_size]", 20), lambda c: c["batch_size"] == 20),
    ("dataset", click("[data-dataset=xor]"), lambda c: c["dataset"] == "xor"),
    (
        "feature on",
        click("[data-feature=x1_squared]"),
        lambda c: c["features"] == ["x1", "x2", "x1_squared"],
    ),
    ("feature off", click("[data-feature=x1]"), lambda c: c["features"] == ["x2"]),
    ("add layer", click("[data-action=add_layer]"), lambda c: c["hidden"] == [4, 2, 2]),
    ("remove layer", click("[data-action=remove_layer]"), lambda c: c["hidden"] == [4]),
    ("add neuron", click("[data-action=add_neuron_0]"), lambda c: c["hidden"] == [5, 2]),
    ("remove neuron", click("[data-action=remove_neuron_1]"), lambda c: c["hidden"] == [4, 1]),
    ("typed neurons", type_neurons(0, 24), lambda c: c["hidden"] == [24, 2]),
    ("typed neurons over the limit", type_neurons(1, 500), lambda c: c["hidden"] == [4, 32]),
    (
        "layer activation",
        select("[data-layer-activation='1']", "relu"),
        lambda c: c["activation"] == ["tanh", "relu"],
    ),
    (
        "speed",
        slide("[data-speed]", 0),
        lambda c: c["fps"] == 1 and c["epochs_per_frame"] == 1,
    ),
    (
        "optimizer",
        advanced("[data-field=optimizer]", "select", "adam"),
        lambda c: c["optimizer"] == "adam",
    ),
    (
        "loss",
        advanced("[data-field=loss]", "select", "binary_cross_entropy"),
        lambda c: c["loss"] == "binary_cross_entropy",
    ),
    ("init", advanced("[data-field=init]", "select", "he"), lambda c: c["init"] == "he"),
    (
        "schedule",
        advanced("[data-field=schedule]", "select", "cosine"),
        lambda c: c["schedule"] == "cosine",
    ),
    ("dropout", advanced("[data-field=dropout]", "fill", 0.2), lambda c: c["dropout"] == 0.2),
    (
        "validation",
        advanced("[data-field=validation_percent]", "fill", 20),
        lambda c: c["validation_percent"] == 20,
    ),
    ("seed", advanced("[data-field=seed]", "fill", 42), lambda c: c["seed"] == 42),
    ("stop_at", advanced("[data-field=stop_at]", "fill", 50), lambda c: c["stop_at"] == 50),
    (
        "standardize",
        advanced("[data-field=standardize]", "check"),
        lambda c: c["standardize"] is True,
    ),
    (
        "input_scale",
        advanced("[data-field=input_scale]", "fill", 10),
        lambda c: c["input_scale"] == 10,
    ),
    ("shuffle", advanced("[data-field=shuffle]", "check"), lambda c: c["shuffle"] is False),
    (
        "momentum",
        advanced("[data-field=momentum]", "fill", 0.5, optimizer="momentum"),
        lambda c: c["momentum"] == 0.5,
    ),
]


@pytest.mark.parametrize(("name", "act", "check"), CONTROLS, ids=[c[0] for c in CONTROLS])
def test_control_change_reaches_the_session_config(pg, name, act, check):
    pg.open()
    assert not check(pg.wire.last_config()), f"{name}: already set before the change"
    mark = pg.wire.mark()
    act(pg.page)
    pg.wire.config_after(mark, check, name)


def test_regenerate_draws_a_new_data_seed_and_keeps_the_network(pg):
    pg.open()
    before = pg.wire.last_config()
    weights = pg.wire.frames[-1].array("weights").copy()
    mark = pg.wire.mark()
    pg.page.click("[data-action=regenerate]")
    after = pg.wire.config_after(
        mark, lambda c: c["data_seed"] != before["data_seed"], "a new data_seed"
    )
    assert after["seed"] == before["seed"]
    pg.wire.message_after(mark, "dataset")
    assert (pg.wire.frame_after(mark).array("weights") == weights).all()


def test_invalid_value_is_shown_next_to_its_control(pg):
    pg.open()
    pg.page.click("[data-action=settings]")
    field = pg.page.locator("[data-advanced] [data-field=early_stopping]")
    mark = pg.wire.mark()
    field.click()  # early stopping needs a validation split, which is 0 here
    error = pg.wire.message_after(mark, "error")
    assert error["field"] == "early_stopping"
    slot = pg.page.locator("[data-error-for=early_stopping]")
    expect(slot).to_contain_text("validation")
    # The control goes back to the value the server kept.
    expect(field).not_to_be_checked()


def test_options_panel_shows_only_the_fields_that_apply(pg):
    pg.open()
    pg.page.click("[data-action=settings]")
    panel = pg.page.locator("[data-advanced]")
    expect(panel.locator("[data-control=beta1]")).to_be_hidden()
    expect(panel.locator("[data-control=momentum]")).to_be_hidden()
    mark = pg.wire.mark()
    panel.locator("[data-field=optimizer]").select_option("adam")
    pg.wire.config_after(mark, lambda c: c["optimizer"] == "adam", "optimizer=adam")
    expect(panel.locator("[data-control=beta1]")).to_be_visible()
    expect(panel.locator("[data-control=momentum]")).to_be_hidden()
    pg.screenshot("options-panel")
    pg.page.locator("[data-settings] [data-action=settings]").click()
    expect(pg.page.locator("[data-settings]")).to_be_hidden()


def test_switching_to_regression_shows_its_datasets_and_a_value_picker(pg):
    pg.open()
    mark = pg.wire.mark()
    pg.page.select_option("[data-field=problem]", "regression")
    pg.wire.config_after(mark, lambda c: c["problem"] == "regression", "regression")
    shown = pg.page.locator("[data-dataset]").evaluate_all("els => els.map(e => e.dataset.dataset)")
    assert shown == ["plane", "multi_gauss"]
    expect(pg.page.locator("[data-dataset=plane]")).to_have_attribute("aria-checked", "true")
    expect(pg.page.locator("[data-point-value]")).to_be_visible()
    expect(pg.page.locator("[data-point-class]")).to_have_count(0)


def test_dragging_a_slider_sends_few_messages_and_always_the_final_value(pg):
    pg.open()
    mark = pg.wire.mark()
    pg.page.evaluate(
        """() => {
            const slider = document.querySelector('[data-field=noise]');
            for (let v = 0; v <= 50; v += 5) {
                slider.value = String(v);
                slider.dispatchEvent(new Event('input', {bubbles: true}));
            }
        }"""
    )
    pg.wire.config_after(mark, lambda c: c["noise"] == 50, "the final noise value")
    sent = [m for m in pg.wire.sent[mark[2] :] if m["type"] == "configure"]
    assert 1 <= len(sent) <= 3, sent
    expect(pg.page.locator("[data-value-for=noise]")).to_have_text("50")
