"""Challenges in the browser: the instructor posts one from the form (keyboard only), a
student submits their own network, and both pages show the figure the server measured."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.app.classroom.server import Client, run
from tests.e2e.axe import report, violations
from tests.e2e.test_modes import DRAWN
from tests.e2e.test_small_screens import DEVICES, assert_fits, assert_run_first

MODE_IS = "() => document.querySelector('[data-mode-badge]').dataset.mode === '{}'"


def instructor(new_page, server):
    teacher = new_page(server.base, bypass_csp=True)  # axe-core is injected by the test
    teacher.page.goto(f"{server.base}/classroom")
    teacher.page.click("[data-action=create_room]")
    teacher.page.wait_for_url(re.compile(r"/room/[A-Z0-9]{6}$"))
    teacher.page.wait_for_function(MODE_IS.format("instructor"))
    code = teacher.page.locator("[data-region=room-bar] [data-room-code]").inner_text()
    return teacher, code


def assert_clean(pg, where: str) -> None:
    found = violations(pg.page)
    assert not found, f"axe-core finds WCAG 2.1 A/AA violations ({where}):\n{report(found)}"


@pytest.mark.browser
def test_a_student_submits_and_the_leaderboard_shows_the_servers_figure(new_page, room_server):
    teacher, code = instructor(new_page, room_server)
    summary = teacher.page.locator("[data-challenge-post] summary")
    summary.wait_for()
    summary.focus()
    teacher.page.keyboard.press("Enter")  # opens the form
    form = teacher.page.locator("[data-challenge-form]")
    form.wait_for()
    # Choices come from /api/options: every dataset the server offers, and its metrics.
    options = teacher.page.evaluate("fetch('/api/options').then((r) => r.json())")
    shown = form.locator("[data-challenge-field=dataset] option").evaluate_all(
        "(os) => os.map((o) => o.value)"
    )
    assert shown == [d["name"] for d in options["challenges"]["datasets"]]

    # The instructor fills the form with the keyboard only.
    title = form.locator("[data-challenge-field=title]")
    title.focus()
    teacher.page.keyboard.press("Control+a")
    teacher.page.keyboard.type("Quadrants, one neuron")
    teacher.page.keyboard.press("Tab")  # the dataset
    form.locator("[data-challenge-field=dataset]").select_option("xor")
    goal = form.locator("[data-challenge-field=goal]")
    goal.focus()
    teacher.page.keyboard.press("Control+a")
    teacher.page.keyboard.type("95")
    neurons = form.locator("[data-constraint=max_neurons] input")
    neurons.focus()
    teacher.page.keyboard.type("4")
    mark = teacher.wire.mark()
    form.locator("[data-action=post_challenge]").focus()
    teacher.page.keyboard.press("Enter")
    posted = teacher.wire.message_after(mark, "challenge")["challenge"]
    assert posted["dataset"] == "xor" and posted["goal"] == 0.95 and posted["max_neurons"] == 4
    sent = [m for m in teacher.wire.sent if m["type"] == "challenge"][-1]["data"]
    assert "features" not in sent  # every feature ticked: no rule
    assert_clean(teacher, "instructor with the challenge form and a posted challenge")

    student = new_page(room_server.base, bypass_csp=True)
    student.page.goto(f"{room_server.base}/room/{code}")
    student.page.fill("[data-name-input]", "Ada")
    student.page.click("[data-action=join]")
    student.page.wait_for_function(MODE_IS.format("follower"))
    card = student.page.locator("[data-challenge-card]")
    card.wait_for()
    assert "test accuracy ≥ 95.0 %" in card.locator("[data-challenge-goal]").inner_text()
    assert "at most 4 hidden neurons" in card.inner_text()
    # Following, the network is the instructor's: Submit waits for an own copy.
    assert student.page.locator("[data-action=submit_network]").is_disabled()
    assert "Work on my own copy" in student.page.locator("[data-verdict]").inner_text()

    student.page.click("[data-action=fork]")
    student.page.wait_for_function(MODE_IS.format("fork"))
    mark = student.wire.mark()
    student.page.click("[data-action=challenge_load]")
    student.wire.config_after(mark, lambda c: c["dataset"] == "xor", "the challenge's data")
    # One weight on the x1·x2 feature is xor's own labelling rule: 100 % on any sample.
    student.page.evaluate(
        """() => {
        const s = window.playground.socket;
        s.send('configure', {hidden: [], features: ['x1_x2']});
        s.send('set_weight', {layer: 1, source: 0, target: 0, value: 5});
        s.send('set_bias', {layer: 1, neuron: 0, value: 0});
    }"""
    )
    student.wire.config_after(mark, lambda c: c["hidden"] == [], "no hidden layer")
    assert_clean(student, "student on their own copy, with the challenge")
    mark = student.wire.mark()
    submit = student.page.locator("[data-action=submit_network]")
    submit.focus()
    student.page.keyboard.press("Enter")
    verdict = student.wire.message_after(mark, "verdict")
    assert verdict["value"] == 1.0 and verdict["goal_met"]
    student.page.wait_for_function(
        "() => document.querySelector('[data-verdict]').textContent.startsWith('Goal reached')"
    )
    assert "test accuracy 100.0 %" in student.page.locator("[data-verdict]").inner_text()

    # Everyone's leaderboard shows the figure the server measured.
    for pg in (teacher, student):
        row = pg.page.locator("[data-leaderboard] tr[data-entry=Ada]")
        row.wait_for()
        cells = row.locator("td").all_inner_texts()
        assert cells[:4] == ["1", "Ada", "100.0 %", "met"]
        assert float(row.locator("td").nth(2).get_attribute("data-value")) == verdict["value"]

    assert_clean(teacher, "instructor with a filled leaderboard")
    teacher.screenshot("challenge-instructor")
    student.screenshot("challenge-student")

    # A second, worse network: the server's figure again, and the best one still counts.
    mark = student.wire.mark()
    student.page.evaluate(
        "() => window.playground.socket.send('set_weight',"
        " {layer: 1, source: 0, target: 0, value: -5})"
    )
    student.wire.frame_after(mark)
    submit.focus()
    student.page.keyboard.press("Enter")
    worse = student.wire.message_after(mark, "verdict")
    assert worse["value"] == 0.0 and not worse["goal_met"]
    student.page.wait_for_function(
        "() => document.querySelector('[data-verdict]').textContent.startsWith('Not yet')"
    )
    teacher.page.wait_for_function(
        "() => document.querySelector('[data-leaderboard-summary]').textContent"
        ".includes('2 submissions')"
    )
    cells = teacher.page.locator("[data-leaderboard] tr[data-entry=Ada] td").all_inner_texts()
    assert cells[2] == "100.0 %"

    # The instructor downloads every submission.
    with teacher.page.expect_download() as download:
        teacher.page.click("[data-action=challenge_export]")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.count("\n") == 3 and ",Ada,test_accuracy,1.0," in text


@pytest.mark.browser
@pytest.mark.parametrize("device", ["phone-360x740", "tablet-1024x768"])
def test_the_challenge_and_a_long_leaderboard_fit_small_screens_after_the_run(
    new_page, room_server, device
):
    room = room_server.new_room()

    async def post_and_submit():
        teacher = await Client.join(room_server, room["code"], secret=room["secret"])
        await teacher.send("challenge", title="A long title " * 5, dataset="spiral", goal=0.9)
        for name in ("Ada Lovelace-Byron", "Grace Brewster Hopper"):
            s = await Client.join(room_server, room["code"], name=name)
            await s.text("challenge")
            await s.send("fork")
            await s.text("you", lambda d: d["mode"] == "fork")
            await s.send("submit")
            await s.text("verdict")

    run(post_and_submit())
    settings = DEVICES[device]
    width, height = settings["viewport"]["width"], settings["viewport"]["height"]
    for who in ("teacher", "student"):
        pg = new_page(room_server.base, **settings)
        if who == "teacher":
            pg.page.goto(room["control_url"])
        else:
            pg.page.goto(f"{room_server.base}/room/{room['code']}")
            pg.page.fill("[data-name-input]", "Phone")
            pg.page.tap("[data-action=join]")
        pg.page.locator("[data-leaderboard] tr[data-entry]").nth(1).wait_for()
        pg.page.wait_for_function(DRAWN)
        assert_fits(pg, f"{who} with a challenge", width)
        assert_run_first(pg, f"{who} with a challenge", width, height)
