"""The page's pure modules, run in the browser: the URL-hash table and the bounded chart."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def other_value(option):
    """A valid value of the option that is not its default."""
    kind, default = option["type"], option["default"]
    if "choices" in option and kind in ("str", "int"):
        return next(c for c in option["choices"] if c != default)
    if kind == "int":
        return option["max"] if default != option["max"] else option["min"]
    if kind == "float":
        return option["max"] / 4
    if kind == "bool":
        return not default
    if kind == "list[str]":
        return option["choices"][1:4]
    if kind == "list[int]":
        return [3, 5]
    if kind == "str|list[str]":
        return option["choices"][:2]
    if kind == "float|list[float]":
        return [0.1, 0.25]
    raise AssertionError(f"no test value for type {kind}")


def run(pg, script, arg=None):
    return pg.page.evaluate(
        f"""async (arg) => {{
            const state = await import('/static/js/state.js');
            const chart = await import('/static/js/linechart.js');
            {script}
        }}""",
        arg,
    )


def test_every_option_round_trips_through_the_hash(pg):
    pg.open()
    options = pg.wire.messages("hello")[0]["options"]
    config = {name: other_value(o) for name, o in options.items()}
    ui = {"show_test_data": True, "palette": "colorblind", "class_view": "2"}
    back = run(
        pg,
        """const props = state.buildProps(arg.options);
        const hash = state.writeHash(arg.config, arg.ui, new Set(['noise']), props);
        const parsed = state.readHash('#' + hash, props);
        return {hash, config: parsed.config, ui: parsed.ui, hidden: [...parsed.hidden]};""",
        {"options": options, "config": config, "ui": ui},
    )
    assert back["config"] == config, back["hash"]
    assert {k: back["ui"][k] for k in ui} == ui
    assert back["hidden"] == ["noise"]


def test_hash_defaults_are_omitted_except_the_seeds(pg):
    pg.open()
    options = pg.wire.messages("hello")[0]["options"]
    defaults = {name: o["default"] for name, o in options.items()}
    hash_ = run(
        pg,
        """const props = state.buildProps(arg.options);
        return state.writeHash(arg.defaults, {}, new Set(), props);""",
        {"options": options, "defaults": defaults},
    )
    assert sorted(hash_.split("&")) == ["data_seed=0", "seed=0"]


def test_hash_reading_follows_the_reference_rules(pg):
    pg.open()
    options = pg.wire.messages("hello")[0]["options"]
    parsed = run(
        pg,
        """const props = state.buildProps(arg);
        const r = state.readHash(
            '#learning_rate=abc&hidden=&shuffle=0&discretize=yes&bogus=1&percTrainData_hide=true'
            + '&showTestData_hide=true&noise_hide=false', props);
        return {config: r.config, ui: r.ui, hidden: [...r.hidden].sort()};""",
        options,
    )
    assert "learning_rate" not in parsed["config"]  # not a number: ignored
    assert parsed["config"]["hidden"] == []  # empty: no hidden layer
    assert parsed["config"]["shuffle"] is True  # anything but "false" is true
    assert parsed["ui"]["discretize"] is True
    assert parsed["hidden"] == ["show_test_data", "train_percent"]  # reference names mapped


def test_loss_chart_history_stays_bounded_and_ends_at_the_latest_epoch(pg):
    pg.open()
    kept = run(
        pg,
        """const canvas = document.createElement('canvas');
        const c = new chart.LineChart(canvas, [{name: 'train_loss', color: '#777'}]);
        for (let e = 1; e <= 100000; e++) c.addDataPoint(e, {train_loss: 1 / e});
        const last = c.tail ? c.tail.epoch : c.epochs.at(-1);
        return {n: c.epochs.length + (c.tail ? 1 : 0), last};""",
    )
    assert kept["n"] <= 401
    assert kept["last"] == 100000
