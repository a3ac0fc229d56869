"""The whole state lives in the URL hash: reload restores it, a shared link reproduces the
data and the initial weights, and `<control>_hide` / `hide_text` trim the page."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def change_several_controls(pg):
    page = pg.page
    steps = [
        (lambda: page.select_option("[data-field=learning_rate]", "0.1"), "learning_rate", 0.1),
        (lambda: page.click("[data-action=add_layer]"), "hidden", [4, 2, 2]),
        (lambda: page.click("[data-feature=x1_x2]"), "features", ["x1", "x2", "x1_x2"]),
        (lambda: page.click("[data-dataset=spiral]"), "dataset", "spiral"),
        (lambda: page.fill("[data-field=noise]", "10"), "noise", 10),
    ]
    for act, field, value in steps:
        mark = pg.wire.mark()
        act()
        pg.wire.config_after(mark, lambda c, f=field, v=value: c[f] == v, field)


def test_hash_records_changes_and_a_shared_link_reproduces_data_and_weights(pg, new_page):
    pg.open()
    change_several_controls(pg)
    mark = pg.wire.mark()
    pg.page.click("[data-action=reset]")  # a new random seed, written to the hash
    config = pg.wire.config_after(mark, lambda c: c["seed"] != 0, "a new seed")
    frame = pg.wire.frame_following("config", lambda d: d["config"]["seed"] == config["seed"])
    pg.page.wait_for_function(f"() => location.hash.includes('seed={config['seed']}')")
    hash_ = pg.page.evaluate("location.hash").lstrip("#")
    for part in ("learning_rate=0.1", "hidden=4,2,2", "features=x1,x2,x1_x2", "dataset=spiral"):
        assert part in hash_.split("&"), (part, hash_)
    points = pg.wire.messages("dataset")[-1]["points"]

    other = new_page(pg.base_url).open(hash_)
    shared = other.wire.config_after((0, 0, 0), lambda c: c["seed"] == config["seed"], "the seed")
    for field in ("learning_rate", "hidden", "features", "dataset", "noise", "data_seed"):
        assert shared[field] == config[field], field
    first = other.wire.frame_following("config", lambda d: d["config"]["seed"] == config["seed"])
    np.testing.assert_array_equal(first.array("weights"), frame.array("weights"))
    other.wire.wait("the same data", lambda: other.wire.messages("dataset")[-1]["points"] == points)


def test_reload_restores_the_state(pg):
    pg.open("activation=relu&hidden=3&batch_size=5&show_test_data=true&discretize=true")
    config = pg.wire.config_after((0, 0, 0), lambda c: c["hidden"] == [3], "hidden=3")
    assert config["activation"] == "relu" and config["batch_size"] == 5
    pg.page.reload()
    pg.page.wait_for_function("() => window.playground && window.playground.page.last")
    expect(pg.page.locator("[data-field=activation]")).to_have_value("relu")
    expect(pg.page.locator("[data-ui=show_test_data]")).to_be_checked()
    expect(pg.page.locator("[data-ui=discretize]")).to_be_checked()
    # The reloaded page is a new session that asks for the hash's state again.
    pg.wire.wait(
        "the reloaded page's configure",
        lambda: (
            sum(m["type"] == "configure" and m["data"].get("hidden") == [3] for m in pg.wire.sent)
            >= 2
        ),
    )
    pg.wire.wait(
        "the restored config echo",
        lambda: (
            sum(
                m["type"] == "config" and m["data"]["config"]["hidden"] == [3]
                for m in pg.wire.received
            )
            >= 2
        ),
    )


def test_hide_keys_and_hide_text_trim_the_page(pg):
    pg.open("learning_rate_hide=true&playButton_hide=true&x1_squared_hide=true&hide_text=true")
    expect(pg.page.locator("[data-control=learning_rate]")).to_be_hidden()
    expect(pg.page.locator("[data-control=play]")).to_be_hidden()
    expect(pg.page.locator("[data-control=activation]")).to_be_visible()
    expect(pg.page.locator("[data-feature=x1_squared]")).to_have_count(0)
    expect(pg.page.locator("[data-feature=x2_squared]")).to_have_count(1)
    expect(pg.page.locator("[data-region=header]")).to_be_hidden()
    expect(pg.page.locator("[data-region=article]")).to_be_hidden()
    pg.screenshot("exercise-trimmed")


def test_exercise_builder_writes_hide_keys_into_its_link(pg):
    pg.open()
    pg.page.click("[data-action=settings]")
    pg.page.check("[data-hide=noise]")
    href = pg.page.locator("[data-exercise-link]").get_attribute("href")
    assert "noise_hide=true" in href
