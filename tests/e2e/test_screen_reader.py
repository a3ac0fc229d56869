"""A screen-reader user can follow training: the polite live region says the epoch, losses and
accuracy (at once on pause, at most every few seconds while playing), and the output map and
each focused node's map have descriptions in words."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

REGION = "[data-announcer]"
# Every text the live region takes, with the page's clock and the run's state at that moment.
RECORD = """() => {
    window.said = [];
    new MutationObserver(() => window.said.push({
        at: performance.now(),
        text: document.querySelector('[data-announcer]').textContent,
    })).observe(document.querySelector('[data-announcer]'),
                { childList: true, characterData: true, subtree: true });
}"""


def progress(header: dict) -> str:
    """What the page says for a frame: epoch and losses as the frame has them."""
    return (
        f"Epoch {header['epoch']}: training loss {header['train_loss']:.3f}, "
        f"test loss {header['test_loss']:.3f}"
    )


def test_a_pause_says_the_paused_frames_epoch_losses_and_accuracy_at_once(pg):
    pg.open()
    assert pg.page.get_attribute(REGION, "role") == "status"  # polite, atomic
    pg.page.evaluate(RECORD)
    pg.train_to(30)

    def said_last_frame():
        text = pg.page.text_content(REGION)
        header = pg.wire.frames[-1].header
        return text.startswith("Paused.") and progress(header) in text and (text, header)

    text, header = pg.wire.wait("the live region to say the paused frame", said_last_frame)
    assert f"accuracy {header['train_accuracy'] * 100:.1f}% on training data" in text
    assert f"{header['test_accuracy'] * 100:.1f}% on test data" in text
    # While playing: at most one progress announcement per five seconds.
    said = pg.page.evaluate("() => window.said")
    playing = [s for s in said if s["text"].startswith("Epoch")]
    gaps = [b["at"] - a["at"] for a, b in zip(playing, playing[1:], strict=False)]
    assert all(gap >= 4999 for gap in gaps), gaps
    # A step while paused is said at once.
    mark = pg.wire.mark()
    pg.page.click("[data-action=step]")
    stepped = pg.wire.frame_after(mark, lambda f: f.header["epoch"] == header["epoch"] + 1)
    pg.page.wait_for_function(
        "(want) => document.querySelector('[data-announcer]').textContent.includes(want)",
        arg=progress(stepped.header),
    )


def test_a_trained_circle_network_is_described_as_a_circle(pg):
    pg.open("dataset=circle&features=x1_squared,x2_squared&hidden=&learning_rate=0.3")
    pg.wire.config_after((0, 0, 0), lambda c: c["hidden"] == [], "no hidden layer")
    pg.train_to(150)
    header = pg.wire.frames[-1].header
    description = pg.page.locator("[data-map-description]")
    pg.page.wait_for_function(
        "() => document.querySelector('[data-map-description]').textContent.includes('circle')"
    )
    text = description.text_content()
    # The circle dataset: blue points inside radius 2.5 or so, orange from 3.5 on.
    assert text.startswith("blue inside a circle of radius about "), text
    radius = float(text.split("radius about ")[1].split(",")[0].split(" ")[0])
    assert 2 <= radius <= 4.5, text
    assert "orange outside" in text
    train = sum(1 for p in pg.wire.messages("dataset")[-1]["points"] if p[3] == 0)
    wrong = round((1 - header["train_accuracy"]) * train)
    assert text.endswith(f"; {wrong} of {train} training points wrong"), text
    assert pg.page.get_attribute("[data-map]", "aria-describedby") == "map-description"
    # On request (m): the description is said in the live region.
    pg.page.keyboard.press("m")
    pg.page.wait_for_function(
        "(want) => document.querySelector('[data-announcer]').textContent === want",
        arg=f"Output map: {text}.",
    )


DESCRIBE = """async (cases) => {
    const { describeGrid } = await import('/static/js/describe.js');
    const n = 40;
    const at = (i) => [-6 + ((i % n) + 0.5) * 0.3, 6 - (Math.floor(i / n) + 0.5) * 0.3];
    const rules = {
        circle: ([x, y]) => (Math.hypot(x - 2, y + 1) < 2 ? 1 : 0),
        left: ([x]) => (x < 0 ? 1 : 0),
        xor: ([x, y]) => (x * y > 0 ? 1 : 0),
        all: () => 0,
    };
    return Object.fromEntries(cases.map((name) => {
        const grid = Uint8Array.from({ length: n * n }, (_, i) => rules[name](at(i)));
        return [name, describeGrid(grid, n, ['orange', 'blue'])];
    }));
}"""


def test_map_descriptions_name_circles_sides_and_separate_regions(pg):
    pg.open()
    said = pg.page.evaluate(DESCRIBE, ["circle", "left", "xor", "all"])
    assert said["circle"] == "blue inside a circle of radius about 2 around (2, -1), orange outside"
    assert said["left"] == "blue on the left, orange on the right"
    assert said["xor"] == (
        "orange in 2 separate regions (top left, bottom right), "
        "blue in 2 separate regions (top right, bottom left)"
    )
    assert said["all"] == "orange everywhere"


def test_a_focused_neuron_has_its_map_in_words(pg):
    pg.open("features=x1&hidden=1")
    pg.wire.config_after((0, 0, 0), lambda c: c["hidden"] == [1], "one hidden neuron")
    pg.train_to(5)
    pg.page.focus("[data-feature=x1]")
    node = pg.page.locator("[data-feature=x1]")
    assert node.get_attribute("aria-describedby") == "node-description"
    # x1's own map: positive on the right of the plane, negative on the left.
    assert pg.page.text_content("[data-node-description]") == (
        "negative (orange) on the left, positive (blue) on the right"
    )
    pg.page.focus('[data-layer="1"][data-neuron="0"]')
    pg.page.wait_for_function(
        "() => document.querySelector('[data-layer=\"1\"]').getAttribute('aria-describedby')"
    )
    assert pg.page.text_content("[data-node-description]").strip()


def test_a_divergence_is_said_with_its_reason(pg):
    pg.open("problem=regression&dataset=plane&learning_rate=10")
    pg.wire.config_after((0, 0, 0), lambda c: c["learning_rate"] == 10, "learning_rate=10")
    mark = pg.wire.mark()
    pg.page.keyboard.press("Space")
    status = pg.wire.message_after(mark, "status", lambda d: d["state"] == "diverged")
    pg.page.wait_for_function(
        "(want) => document.querySelector('[data-announcer]').textContent.startsWith(want)",
        arg=f"Training diverged. {status['message']}",
    )
    # Regression: losses, no accuracy; a non-finite loss is said in words.
    text = pg.page.text_content(REGION)
    assert "Epoch " in text and "accuracy" not in text, text
