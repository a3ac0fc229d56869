"""A TensorFlow Playground link opens here with the same network, data and knobs, and what
has no equivalent is listed in a visible notice (static/js/reference-link.js)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# A link as the reference playground writes it (../shared/reference/tf-playground.md 1.10).
REFERENCE_LINK = (
    "activation=relu&batchSize=10&dataset=spiral&regDataset=reg-plane&learningRate=0.03"
    "&regularizationRate=0&noise=0&networkShape=4,2&seed=0.80454&showTestData=false"
    "&discretize=false&percTrainData=50&x=true&y=true&xTimesY=false&xSquared=false"
    "&ySquared=false&cosX=false&sinX=true&cosY=false&sinY=true&collectStats=false"
    "&problem=classification&initZero=false&hideText=false"
)


def fnv1a(text: str) -> int:
    """32-bit FNV-1a of the code points: the page turns the reference's seed text into ours."""
    h = 0x811C9DC5
    for ch in text:
        h = ((h ^ ord(ch)) * 0x01000193) & 0xFFFFFFFF
    return h


def configure_sent(pg) -> dict:
    return pg.wire.wait(
        "the page's configure",
        lambda: next((m["data"] for m in pg.wire.sent if m["type"] == "configure"), None),
    )


def test_a_reference_link_opens_with_its_network_data_and_knobs(pg):
    pg.open(REFERENCE_LINK)
    expected = {
        "activation": "relu",
        "batch_size": 10,
        "dataset": "spiral",
        "learning_rate": 0.03,
        "regularization_rate": 0,
        "noise": 0,
        "hidden": [4, 2],
        "train_percent": 50,
        "features": ["x1", "x2", "sin_x1", "sin_x2"],
        "problem": "classification",
        "seed": fnv1a("0.80454"),
        "data_seed": fnv1a("0.80454"),
    }
    sent = configure_sent(pg)
    assert {k: sent.get(k) for k in expected} == expected
    server = pg.wire.config_after((0, 0, 0), lambda c: c["dataset"] == "spiral", "spiral")
    assert {k: server[k] for k in expected} == expected
    assert server["init"] == "uniform" and server["regularization"] == "none"
    expect(pg.page.locator("[data-ui=show_test_data]")).not_to_be_checked()
    expect(pg.page.locator("[data-ui=discretize]")).not_to_be_checked()
    # The address becomes this page's own form, so reloading or sharing it keeps the state.
    pg.page.wait_for_function("() => location.hash.includes('features=x1,x2,sin_x1,sin_x2')")
    assert "networkShape" not in pg.page.evaluate("location.hash")
    # Only the seed cannot be honoured exactly (its random stream is the reference's own).
    notice = pg.page.locator("[data-reference-notice]")
    expect(notice).to_be_visible()
    expect(notice.locator("li")).to_have_count(1)
    expect(notice.locator("li")).to_contain_text("seed")


def test_what_has_no_equivalent_is_listed_in_a_notice_and_the_rest_applies(pg):
    pg.open(
        "problem=regression&dataset=circle&regDataset=reg-gauss&networkShape=3&initZero=true"
        "&regularization=L2&showTestData=true&noise=95&xTimesY=true&cosX=true"
        "&tutorial=spiral-intro&collectStats=true&dropoutRate=0.5"
    )
    config = pg.wire.config_after((0, 0, 0), lambda c: c["hidden"] == [3], "hidden=[3]")
    assert (config["problem"], config["dataset"]) == ("regression", "multi_gauss")
    assert (config["init"], config["regularization"], config["noise"]) == ("zeros", "l2", 50)
    assert config["features"] == ["x1", "x2", "x1_x2"]  # x and y on by default, as there
    expect(pg.page.locator("[data-ui=show_test_data]")).to_be_checked()
    notice = pg.page.locator("[data-reference-notice]")
    expect(notice).to_be_visible()
    items = notice.locator("li")
    for key in ("cosX", "tutorial=spiral-intro", "collectStats", "dropoutRate"):
        expect(items.filter(has_text=key)).to_have_count(1)
    notice.get_by_role("button", name="Dismiss").click()
    expect(notice).to_be_hidden()


def test_this_pages_own_link_shows_no_notice(pg):
    pg.open("activation=relu&hidden=3&seed=7")
    config = pg.wire.config_after((0, 0, 0), lambda c: c["hidden"] == [3], "hidden=[3]")
    assert (config["activation"], config["seed"]) == ("relu", 7)
    expect(pg.page.locator("[data-reference-notice]")).to_be_hidden()


# Every key the reference writes or reads (tf-playground.md 1.10), with a value it would not
# have by default.
REFERENCE_KEYS = {
    "activation": "relu",
    "regularization": "L1",
    "batchSize": "3",
    "dataset": "xor",
    "regDataset": "reg-gauss",
    "learningRate": "0.1",
    "regularizationRate": "0.01",
    "noise": "20",
    "networkShape": "3,3",
    "seed": "0.5",
    "showTestData": "true",
    "discretize": "true",
    "percTrainData": "70",
    "x": "false",
    "y": "false",
    "xTimesY": "true",
    "xSquared": "true",
    "ySquared": "true",
    "cosX": "true",
    "sinX": "true",
    "cosY": "true",
    "sinY": "true",
    "collectStats": "true",
    "tutorial": "intro",
    "problem": "regression",
    "initZero": "true",
    "hideText": "true",
}


def test_every_reference_key_is_translated_or_explained(pg):
    pg.open()
    results = pg.page.evaluate(
        """async (keys) => {
            const ref = await import('/static/js/reference-link.js');
            const page = window.playground.page;
            const ours = new Set([...Object.keys(page.config), ...Object.keys(page.ui)]);
            // Each beside a reference-only key, so that the hash counts as a reference link.
            return Object.entries(keys).map(([key, value]) => [
                key,
                ref.fromReference(`#percTrainData=50&${key}=${value}`, ours),
            ]);
        }""",
        REFERENCE_KEYS,
    )
    for key, result in results:
        assert result is not None, key
        assert not [n for n in result["notes"] if "not a setting" in n], (key, result)
        # Applied (more than the ratio in the hash), or explained in a note.
        assert result["hash"] != "train_percent=50" or result["notes"], (key, result)
