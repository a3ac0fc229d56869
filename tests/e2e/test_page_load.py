"""The page loads, renders its controls from the server's options and shows the first frame."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_page_loads_without_console_errors_and_draws_the_first_frame(pg):
    pg.open()
    hello = pg.wire.messages("hello")[0]
    assert hello["resumed"] is False
    assert pg.wire.frames, "no binary frame reached the page"
    assert pg.page.locator("[data-readout=epoch]").inner_text() == "000,000"
    assert pg.page.locator("[data-connection]").get_attribute("data-connection") == "connected"
    pg.screenshot("page-loaded")
    assert pg.console_errors == []


def test_select_options_come_from_the_published_registries(pg):
    pg.open()
    options = pg.wire.messages("hello")[0]["options"]
    for field in ("activation", "regularization", "problem"):
        shown = pg.page.locator(f"select[data-field={field}] option").evaluate_all(
            "els => els.map(e => e.value)"
        )
        assert shown == options[field]["choices"]
    per_layer = pg.page.locator("[data-layer-activation='0'] option").evaluate_all(
        "els => els.map(e => e.value)"
    )
    assert per_layer == options["activation"]["choices"]


def test_every_config_field_has_a_control(pg):
    pg.open()
    options = pg.wire.messages("hello")[0]["options"]
    for name in options:
        if name in ("dataset", "features", "hidden"):
            continue  # thumbnails, input nodes and the +/- buttons
        assert pg.page.locator(f"[data-field={name}]").count() >= 1, f"no control for {name}"


def test_map_canvas_shows_the_output_colours(pg):
    pg.open()
    # The initial network on circle: the map is neither blank nor one flat colour.
    distinct = pg.page.evaluate(
        """() => {
            const c = document.querySelector('[data-map]');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const seen = new Set();
            for (let i = 0; i < d.length; i += 4) seen.add(d[i] * 65536 + d[i+1] * 256 + d[i+2]);
            return seen.size;
        }"""
    )
    assert distinct > 3


def test_page_fetches_nothing_from_other_hosts_and_runs_no_inline_code(pg):
    requests = []
    pg.page.on("request", lambda r: requests.append(r.url))
    pg.open()
    foreign = [u for u in requests if not u.startswith((pg.base_url, "ws://127.0.0.1", "data:"))]
    assert foreign == []
    inline = pg.page.evaluate(
        """() => ({
            scripts: [...document.querySelectorAll('script:not([src])')]
                .filter(s => s.type !== 'application/json').length,
            handlers: [...document.querySelectorAll('*')]
                .flatMap(el => [...el.attributes].map(a => a.name))
                .filter(name => name.startsWith('on')).length,
        })"""
    )
    assert inline == {"scripts": 0, "handlers": 0}
