"""The class wall in the browser: the instructor's page shows students' cards as their
runs go on, sorts them, spotlights one at the keyboard (a follower's page shows that run)
and hands back. Two students work on their own runs over real websockets from Python."""

from __future__ import annotations

import asyncio
import threading

import pytest

from tests.app.classroom.server import Client
from tests.e2e.axe import report, violations

MODE_IS = "() => document.querySelector('[data-mode-badge]').dataset.mode === '{}'"
NEURONS = "() => document.querySelector('[data-neurons=\"0\"]').textContent === '{}'"


class Students:
    """Room sockets on their own event loop in a thread (Playwright holds this one)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def do(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def close(self) -> None:
        self.do(Client.close_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()  # and its self-pipe: nothing is left for the garbage collector


async def own_run(server, code: str, name: str, hidden: list[int], epochs: int) -> Client:
    student = await Client.join(server, code, name=name)
    await student.text("you")
    await student.send("fork")
    await student.text("you", lambda d: d["mode"] == "fork")
    await student.send("configure", hidden=hidden)
    await student.text("config", lambda d: d["config"]["hidden"] == hidden)
    await student.send("step", epochs=epochs)
    await student.until(lambda: any(f["epoch"] == epochs for f in student.frames))
    return student


def order(page) -> list[str]:
    return page.locator("[data-wall-grid] li").evaluate_all("els => els.map(e => e.dataset.name)")


@pytest.mark.browser
def test_the_instructor_watches_sorts_and_spotlights_students_runs(new_page, room_server):
    room = room_server.new_room()
    code = room["code"]
    students = Students()
    try:
        teacher = new_page(room_server.base, bypass_csp=True)  # axe-core is injected below
        teacher.page.goto(f"{room_server.base}/room/{code}#secret={room['secret']}")
        teacher.page.wait_for_function(MODE_IS.format("instructor"))
        follower = new_page(room_server.base)
        follower.page.goto(f"{room_server.base}/room/{code}")
        follower.page.fill("[data-name-input]", "Cy")
        follower.page.click("[data-action=join]")
        follower.page.wait_for_function(MODE_IS.format("follower"))
        live_neurons = follower.page.locator('[data-neurons="0"]').inner_text()

        ada = students.do(own_run(room_server, code, "Ada", [6, 6], 12))
        students.do(own_run(room_server, code, "Bo", [3], 4))

        # Open the wall at the keyboard: a card per student, Cy's says Cy follows.
        teacher.page.focus("[data-action=wall]")
        teacher.page.keyboard.press("Enter")
        assert teacher.page.get_attribute("[data-action=wall]", "aria-expanded") == "true"
        teacher.page.wait_for_function(
            "() => document.querySelectorAll('[data-wall-grid] li canvas:not([hidden])').length"
            " === 2 && document.querySelectorAll('[data-wall-grid] li').length === 3"
        )
        assert "Following" in teacher.page.locator("[data-name=Cy]").inner_text()
        assert "2-6-6-1" in teacher.page.locator("[data-name=Ada]").inner_text()
        assert teacher.page.get_attribute("[data-card] canvas", "aria-label").startswith(
            "Decision boundary of"
        )
        # Ada plays: her card follows her run.
        students.do(ada.send("play"))
        teacher.page.wait_for_function(
            "() => Number(document.querySelector('[data-name=Ada]').dataset.epoch) >= 40"
        )
        students.do(ada.send("pause"))
        teacher.screenshot("wall-instructor")
        found = violations(teacher.page)
        assert not found, f"WCAG 2.1 A/AA violations on the wall:\n{report(found)}"

        # Sorting: by epoch Ada (40+) leads Bo (4), Cy (following) comes last.
        teacher.page.select_option("[data-wall-sort]", "epoch")
        assert order(teacher.page) == ["Ada", "Bo", "Cy"]
        teacher.page.select_option("[data-wall-sort]", "name")
        assert order(teacher.page) == ["Ada", "Bo", "Cy"]
        teacher.page.select_option("[data-wall-sort]", "test_loss")
        losses = teacher.page.evaluate(
            "() => [...document.querySelectorAll('[data-wall-grid] li')].map(li =>"
            " (li.querySelector('.wall-facts').textContent.match(/test loss ([0-9.]+)/) || [])[1])"
        )
        shown = [float(x) for x in losses if x is not None]
        assert len(shown) == 2 and shown == sorted(shown) and losses[-1] is None

        # Spotlight Bo at the keyboard: the follower's page shows Bo's network (3 neurons).
        bo_button = teacher.page.locator("[data-name=Bo] [data-spotlight]")
        bo_button.focus()
        teacher.page.keyboard.press("Enter")
        follower.page.wait_for_function(NEURONS.format("3 neurons"))
        follower.page.wait_for_function(
            "() => document.querySelector('[data-room-notice]').textContent.includes(\"Bo's run\")"
        )
        teacher.page.wait_for_function(MODE_IS.format("spotlight"))
        teacher.page.wait_for_function(NEURONS.format("3 neurons"))
        assert teacher.page.locator("[data-field=learning_rate]").is_disabled()
        assert bo_button.get_attribute("aria-pressed") == "true"
        assert teacher.page.locator("[data-spotlight-name]").inner_text() == "Bo"
        found = violations(teacher.page)
        assert not found, f"WCAG 2.1 A/AA violations in spotlight mode:\n{report(found)}"

        # Hand back: everyone sees the instructor's run again; its controls are live.
        teacher.page.click("[data-action=hand_back]")
        follower.page.wait_for_function(NEURONS.format(live_neurons))
        teacher.page.wait_for_function(MODE_IS.format("instructor"))
        assert not teacher.page.locator("[data-field=learning_rate]").is_disabled()
        assert teacher.page.locator("[data-spotlight-bar]").is_hidden()
        assert bo_button.get_attribute("aria-pressed") == "false"
    finally:
        students.close()
