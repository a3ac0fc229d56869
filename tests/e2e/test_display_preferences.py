"""The page follows the system's display wishes: reduced motion stills the links' dashes (not
the training frames), more contrast darkens text and thickens lines, and at 200 % zoom (a
640 px wide viewport at device scale 2) nothing runs off the side or overlaps."""

from __future__ import annotations

import pytest

from tests.e2e.test_keyboard_only import contrast

pytestmark = pytest.mark.browser

# Every dash offset the link group takes from now on.
WATCH_DASHES = """() => {
    window.offsets = [];
    const group = document.querySelector('.link-lines');
    new MutationObserver(() => window.offsets.push(group.style.strokeDashoffset))
        .observe(group, { attributes: true, attributeFilter: ['style'] });
}"""
OFFSET = "() => document.querySelector('.link-lines').style.strokeDashoffset"


def test_reduced_motion_stills_the_dashes_but_not_the_frames(pg):
    pg.page.emulate_media(reduced_motion="reduce")
    pg.open()
    pg.page.evaluate(WATCH_DASHES)
    pg.train_to(40)
    epoch = pg.epoch()
    pg.page.wait_for_function(
        "(e) => document.querySelector('[data-readout=epoch]').textContent.replace(',', '') == e",
        arg=str(epoch).zfill(6),
    )
    assert set(pg.page.evaluate("() => window.offsets")) <= {"0px", ""}
    # Motion allowed again: the dashes move with the epoch (offset -epoch/3, mod 10).
    pg.page.emulate_media(reduced_motion="no-preference")
    # Each step's own frame (a later epoch), not a frame of the pause that arrived late.
    while True:
        mark = pg.wire.mark()
        pg.page.keyboard.press("s")
        epoch = pg.wire.frame_after(mark, lambda f, e=epoch: f.header["epoch"] > e).header["epoch"]
        if (epoch // 3) % 10:
            break
    pg.page.wait_for_function(f"() => ({OFFSET})() === '{-((epoch // 3) % 10)}px'")


def link_widths(pg) -> list[float]:
    return pg.page.evaluate(
        "() => [...document.querySelectorAll('.link')].map((l) => +l.getAttribute('stroke-width'))"
    )


def test_more_contrast_darkens_text_and_thickens_links(new_page, shared_live_server):
    plain = new_page(shared_live_server.url).open()
    more = new_page(shared_live_server.url)
    more.page.emulate_media(contrast="more")
    more.open()
    for pg in (plain, more):
        pg.page.wait_for_function("() => document.querySelector('.link[stroke-width]')")
    # The same seeds, so the same weights: every link is heavier, by about 1.6.
    thin, thick = link_widths(plain), link_widths(more)
    assert len(thin) == len(thick) > 0
    assert all(b > a for a, b in zip(thin, thick, strict=True))
    assert 1.4 < sum(thick) / sum(thin) < 1.8
    label = "() => getComputedStyle(document.querySelector('.control .label')).color"
    bar = "() => getComputedStyle(document.querySelector('.top-bar')).backgroundColor"
    assert contrast(more.page.evaluate(label), more.page.evaluate(bar)) >= 7
    assert contrast(plain.page.evaluate(label), plain.page.evaluate(bar)) >= 4.5


# Key elements whose right edge passes the viewport, or whose text is clipped.
OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const keys = document.querySelectorAll(
        '.top-bar > *, .columns > *, .heatmap, .network, .linechart, .losses, .legend, '
        + '.exports button, .datasets, .your-data, .metrics, .layer-controls, .room-bar, '
        + 'button:not([hidden]), select, label');
    const out = [];
    for (const el of keys) {
        const box = el.getBoundingClientRect();
        if (box.width === 0) continue;
        const what = el.outerHTML.slice(0, 60);
        if (box.right > width + 0.5 || box.left < -0.5) out.push(`${what} right ${box.right}`);
        const clips = getComputedStyle(el).overflowX === 'hidden';
        if (clips && el.scrollWidth > el.clientWidth + 1) out.push(`clipped ${what}`);
    }
    const page = document.documentElement.scrollWidth;
    if (page > width) out.push(`page ${page} > ${width}`);
    return out;
}"""
# The three columns' boxes, pairwise overlapping area.
OVERLAPS = """() => {
    const boxes = [...document.querySelectorAll('.columns > .column')]
        .map((c) => c.getBoundingClientRect());
    const out = [];
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i], boxes[j]];
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 0 && h > 0) out.push([i, j, w, h]);
    }
    return out;
}"""


@pytest.mark.parametrize("hash_", ["", "dataset=blobs&num_classes=4&loss=cross_entropy"])
def test_at_200_percent_zoom_nothing_runs_off_or_overlaps(new_page, shared_live_server, hash_):
    pg = new_page(
        shared_live_server.url, viewport={"width": 640, "height": 450}, device_scale_factor=2
    )
    pg.open(hash_)
    pg.train_to(2)
    overflow = pg.page.evaluate(OVERFLOW)
    assert overflow == [], "\n".join(overflow)
    assert pg.page.evaluate(OVERLAPS) == []
    pg.screenshot(f"zoom-200{'-' + hash_.split('&')[0] if hash_ else ''}")
