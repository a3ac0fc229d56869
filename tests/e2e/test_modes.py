"""One page in every mode: the room page (instructor, follower, fork) and the share link are
the playground page itself, with the same controls; a mode only decides which are live."""

from __future__ import annotations

import numpy as np
import pytest

from tests.app.classroom.server import Server
from tests.e2e.test_controls import CONTROLS

pytestmark = pytest.mark.browser

# Controls whose change stays in the page (looks, readouts, exports): live in every mode.
VIEW = {"epoch", "metrics", "export", "show_test_data", "discretize", "class_view"}
VIEW |= {"palette", "presentation"}

CONTROL_NAMES = (
    "() => [...new Set([...document.querySelectorAll('[data-control]')]"
    ".map((e) => e.dataset.control))].sort()"
)
# Every input of every control: [control, its n-th input, disabled].
CONTROL_INPUTS = """() => [...document.querySelectorAll('[data-control]')].flatMap((box) => {
  const inputs = box.matches('button, input, select')
    ? [box] : [...box.querySelectorAll('button, input, select')];
  return inputs.map((el, i) => [box.dataset.control, i, el.disabled]);
})"""
MODE_IS = "() => document.querySelector('[data-mode-badge]').dataset.mode === '{}'"
DRAWN = "() => window.playground && window.playground.page.last"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One classroom server for this module: each test makes its own rooms on it."""
    server = Server(tmp_path_factory.mktemp("modes") / "data").start()
    try:
        yield server
    finally:
        server.stop()


def controls(pg):
    return pg.page.evaluate(CONTROL_NAMES), pg.page.evaluate(CONTROL_INPUTS)


def instructor(new_page, server):
    room = server.new_room()
    teacher = new_page(server.base)
    teacher.page.goto(room["control_url"])
    teacher.page.wait_for_function(MODE_IS.format("instructor"))
    teacher.page.wait_for_function(DRAWN)
    return teacher, room["code"]


def student(new_page, server, code):
    pupil = new_page(server.base)
    pupil.page.goto(f"{server.base}/room/{code}")
    pupil.page.fill("[data-name-input]", "Ada")
    pupil.page.click("[data-action=join]")
    pupil.page.wait_for_function(MODE_IS.format("follower"))
    pupil.page.wait_for_function(DRAWN)
    return pupil


def test_every_mode_shows_the_main_pages_controls_and_locks_them_only_for_a_follower(
    new_page, server
):
    solo = new_page(server.base).open()
    names, inputs = controls(solo)
    assert {"learning_rate", "dataset", "noise", "hidden", "neurons_0", "export"} <= set(names)
    run_inputs = [i for i in inputs if i[0] not in VIEW]
    assert len(run_inputs) > 40 and not all(disabled for *_, disabled in run_inputs)

    teacher, code = instructor(new_page, server)
    # The instructor: the same controls, live exactly where the solo page's are.
    assert controls(teacher) == (names, inputs)

    pupil = student(new_page, server, code)
    follower_names, follower_inputs = controls(pupil)
    assert follower_names == names
    # Every control present and, where it changes the run, locked; looks and exports live.
    assert [i[:2] for i in follower_inputs] == [i[:2] for i in inputs]
    for control, index, disabled in follower_inputs:
        assert disabled == (control not in VIEW), (control, index)
    assert pupil.page.get_attribute("[data-feature=x1]", "aria-disabled") == "true"
    assert pupil.page.locator("[data-action=fork]").is_visible()

    # One click: the student's own copy, every control live again.
    pupil.page.click("[data-action=fork]")
    pupil.page.wait_for_function(MODE_IS.format("fork"))
    pupil.page.wait_for_function(
        "() => !document.querySelector('[data-field=learning_rate]').disabled"
    )
    assert controls(pupil) == (names, inputs)
    assert pupil.page.get_attribute("[data-feature=x1]", "aria-disabled") is None
    assert pupil.page.locator("[data-action=refollow]").is_visible()

    # A share link: the same page again.
    solo.page.click("[data-action=share]")
    solo.page.wait_for_function("() => document.querySelector('[data-share-url]').value !== ''")
    visitor = new_page(server.base)
    visitor.page.goto(solo.page.input_value("[data-share-url]"))
    visitor.page.wait_for_function(MODE_IS.format("snapshot"))
    visitor.page.wait_for_function(DRAWN)
    assert controls(visitor) == (names, inputs)


def test_a_follower_can_enlarge_a_neuron_but_changes_nothing(new_page, server):
    teacher, code = instructor(new_page, server)
    pupil = student(new_page, server, code)
    mark = pupil.wire.mark()
    before = pupil.page.evaluate("() => document.querySelector('[data-map]').toDataURL()")
    pupil.page.hover('[data-layer="1"][data-neuron="0"]')
    # The big map shows that neuron's map (its thumbnail, enlarged) instead of the output.
    pupil.page.wait_for_function(
        f"() => document.querySelector('[data-map]').toDataURL() !== {before!r}"
    )
    pupil.page.keyboard.press("Space")  # play/pause is the instructor's
    pupil.page.click('[data-feature="x1_squared"]', force=True)
    # Exports read the live run: a follower can share what they see.
    pupil.page.click("[data-action=share]")
    pupil.page.wait_for_function("() => document.querySelector('[data-share-url]').value !== ''")
    sent = [m["type"] for m in pupil.wire.sent[mark[2] :]]
    assert "export" in sent
    # view: the frame rate its socket may send (a slow page's pacer asks), not a control
    assert not set(sent) - {"ping", "export", "view"}, sent
    assert not [m for m in pupil.wire.received[mark[0] :] if m["type"] == "error"]


@pytest.mark.parametrize(("name", "act", "check"), CONTROLS, ids=[c[0] for c in CONTROLS])
def test_every_control_of_the_main_page_works_on_the_instructors_room_page(
    new_page, server, name, act, check
):
    teacher, _ = instructor(new_page, server)
    assert not check(teacher.wire.last_config()), f"{name}: already set before the change"
    mark = teacher.wire.mark()
    act(teacher.page)
    teacher.wire.config_after(mark, check, name)


def test_a_share_link_is_the_full_page_at_its_epoch_paused_and_bookmarkable(new_page, server):
    pg = new_page(server.base).open()
    mark = pg.wire.mark()
    for _ in range(4):
        pg.page.click("[data-action=step]")
    trained = pg.wire.frame_after(mark, lambda f: f.header["epoch"] == 4)
    pg.page.click("[data-action=share]")
    pg.page.wait_for_function("() => document.querySelector('[data-share-url]').value !== ''")
    url = pg.page.input_value("[data-share-url]")

    visitor = new_page(server.base)
    visitor.page.goto(url)
    for visit in ("opened", "reloaded"):
        mark = visitor.wire.mark() if visit == "reloaded" else (0, 0, 0)
        if visit == "reloaded":
            visitor.page.reload()
        restored = visitor.wire.frame_after(mark, lambda f: f.header["epoch"] == 4)
        assert np.array_equal(restored.array("weights"), trained.array("weights")), visit
        status = visitor.wire.message_after(mark, "status", lambda d: d.get("epoch") == 4)
        assert status["state"] == "paused", visit
        visitor.page.wait_for_function(
            "() => document.querySelector('[data-readout=epoch]').textContent.endsWith('4')"
        )
        assert visitor.page.get_attribute("[data-action=play]", "aria-pressed") == "false"
        # The address stays the link: a bookmark opens the same network again.
        assert visitor.page.url == url, visit
    # The full page: the data column, the features, metrics and the exports are all there.
    for region in ("[data-datasets] [data-dataset]", "[data-feature=x1]", "[data-metrics] dt"):
        assert visitor.page.locator(region).first.is_visible(), region
    # Ready to play: it trains on from the saved epoch in the visitor's own session.
    mark = visitor.wire.mark()
    visitor.page.click("[data-action=step]")
    visitor.wire.frame_after(mark, lambda f: f.header["epoch"] == 5)
