"""Multi-class: the legend, the points and the output neurons share the K class colours."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

K = 4
HASH = f"dataset=blobs&num_classes={K}&loss=cross_entropy&hidden=6,4&learning_rate=0.1"

RGB = "c => c.match(/\\d+/g).slice(0, 3).map(Number)"

# The most saturated pixel of an output neuron's thumbnail: its class colour shows there.
STRONGEST = """el => {
    const c = el.querySelector('canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let best = null, score = -1;
    for (let i = 0; i < d.length; i += 4) {
        const s = Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]);
        if (s > score) { score = s; best = [d[i], d[i + 1], d[i + 2]]; }
    }
    return best;
}"""


def nearest(colour, palette):
    return min(
        range(len(palette)),
        key=lambda k: sum((a - b) ** 2 for a, b in zip(colour, palette[k], strict=True)),
    )


def test_legend_points_and_output_neurons_show_the_same_k_class_colours(pg):
    pg.open(HASH)
    legend = pg.page.locator("[data-legend-class]")
    expect(legend).to_have_count(K)
    expect(pg.page.locator(".legend-bar")).to_be_hidden()  # not the -1…1 ramp
    swatches = legend.locator(".legend-swatch").evaluate_all(
        f"els => els.map(e => ({RGB})(getComputedStyle(e).backgroundColor))"
    )
    points = pg.page.locator("[data-point-class]").evaluate_all(
        f"els => els.map(e => ({RGB})(getComputedStyle(e).backgroundColor))"
    )
    assert len({tuple(c) for c in swatches}) == K
    assert swatches == points

    pg.train_to(40)
    outputs = pg.page.locator(".node.output")
    expect(outputs).to_have_count(K)
    for k in range(K):
        strongest = outputs.nth(k).evaluate(STRONGEST)
        assert nearest(strongest, swatches) == k, (k, strongest, swatches)
    pg.screenshot("class-colours")


def test_two_classes_keep_the_ramp_legend(pg):
    pg.open()
    expect(pg.page.locator(".legend-bar")).to_be_visible()
    expect(pg.page.locator("[data-legend-class]")).to_have_count(0)
