"""Classroom in the browser: an instructor and a student in two browser contexts."""

from __future__ import annotations

import re

import pytest

from tests.app.classroom.server import Client, run


def badge(pg) -> str:
    return pg.page.locator("[data-mode-badge]").inner_text()


@pytest.mark.browser
def test_instructor_and_student_main_flow(new_page, room_server):
    teacher = new_page(room_server.base)
    teacher.page.goto(f"{room_server.base}/classroom")
    teacher.screenshot("classroom-landing")
    teacher.page.click("[data-action=create_room]")
    teacher.page.wait_for_url(re.compile(r"/room/[A-Z0-9]{6}$"))
    teacher.page.wait_for_function(
        "() => document.querySelector('[data-mode-badge]').dataset.mode === 'instructor'"
    )
    code = teacher.page.locator("[data-region=room-bar] [data-room-code]").inner_text()
    assert "secret" not in teacher.page.url  # nothing secret left on a projected screen
    teacher.page.wait_for_function("() => document.querySelector('[data-qr]').naturalWidth > 0")

    student = new_page(room_server.base)
    student.page.goto(f"{room_server.base}/room/{code}")
    student.page.fill("[data-name-input]", "<b>Ada</b>")
    student.page.click("[data-action=join]")
    student.page.wait_for_function(
        "() => document.querySelector('[data-mode-badge]').dataset.mode === 'follower'"
    )
    # The name is shown as text, never as markup.
    entry = teacher.page.locator("[data-roster] li").first
    entry.wait_for()
    assert entry.locator("span").inner_text() == "<b>Ada</b>"
    assert teacher.page.locator("[data-roster] b").count() == 0
    assert student.page.locator("[data-field=learning_rate]").is_disabled()

    # A change by the instructor shows on the student's controls.
    teacher.page.select_option("[data-field=learning_rate]", "0.3")
    student.page.wait_for_function(
        "() => document.querySelector('[data-field=learning_rate]').value === '0.3'"
    )
    teacher.page.evaluate("window.playground.socket.send('configure', {batch_size: 17})")
    student.page.wait_for_function(
        "() => document.querySelector('[data-field=batch_size]').value === '17'"
        " && document.querySelector('[data-value-for=batch_size]').textContent === '17'"
    )
    # A neuron added and a weight edited by the instructor reach the student's page.
    teacher.page.click("[data-action=add_neuron_0]")
    student.page.wait_for_function(
        "() => document.querySelector('[data-neurons=\"0\"]').textContent === '5 neurons'"
    )
    link = teacher.page.locator('[data-link="0:0:0"]')
    link.hover()
    link.click()
    teacher.page.locator("[data-hovercard] input[type=number]").fill("2.5")
    # (Room frames travel compressed: read what the student's page drew.)
    student.page.wait_for_function(
        "() => window.playground.page.last"
        " && window.playground.page.last.arrays.weights.data[0] === 2.5"
    )
    assert student.page.evaluate("window.playground.page.last.sent_at") > 0
    teacher.page.keyboard.press("Enter")
    # A follower can read a weight but not open the editor.
    student.page.locator('[data-link="0:0:0"]').hover()
    student.page.locator('[data-link="0:0:0"]').click()
    assert student.page.locator("[data-hovercard] input[type=number]").is_hidden()

    # Play: the student's page draws the live run's frames.
    teacher.page.click("[data-action=play]")
    student.page.wait_for_function("() => (window.playground.page.last.epoch || 0) >= 5")
    teacher.page.click("[data-action=play]")  # pause
    teacher.screenshot("classroom-instructor")
    student.screenshot("classroom-student")
    lag = student.page.locator("[data-lag]").inner_text()
    assert lag.endswith("ms behind")

    # Fork: the student's own copy; their change never reaches the instructor.
    student.page.click("[data-action=fork]")
    student.page.wait_for_function(
        "() => document.querySelector('[data-mode-badge]').dataset.mode === 'fork'"
    )
    assert not student.page.locator("[data-field=learning_rate]").is_disabled()
    mark = teacher.wire.mark()
    student.page.select_option("[data-field=learning_rate]", "3")
    student.wire.wait(
        "the fork's config echo",
        lambda: any(
            m["type"] == "config" and m["data"]["config"]["learning_rate"] == 3
            for m in student.wire.received
        ),
    )
    teacher.page.select_option("[data-field=learning_rate]", "0.01")
    teacher.wire.config_after(mark, lambda c: c["learning_rate"] == 0.01, "lr 0.01")
    assert not any(
        m["type"] == "config" and m["data"]["config"]["learning_rate"] == 3
        for m in teacher.wire.received[mark[0] :]
    )
    # Re-follow: back on the live run, with its values.
    student.page.click("[data-action=refollow]")
    student.page.wait_for_function(
        "() => document.querySelector('[data-field=learning_rate]').value === '0.01'"
    )
    assert "Following" in badge(student)

    # Push: every student gets the exercise in their own session.
    teacher.page.fill("[data-push-title]", "xor, no hidden layer")
    teacher.page.select_option("[data-push-dataset]", "xor")
    teacher.page.fill("[data-push-hidden]", "")
    teacher.page.click("[data-action=push]")
    student.page.wait_for_function(
        "() => document.querySelector('[data-mode-badge]').dataset.mode === 'fork'"
    )
    student.page.wait_for_function(
        "() => document.querySelector('[data-dataset=xor]').getAttribute('aria-checked') === 'true'"
    )
    # The room tells the title after it has started the exercise (app/classroom/room.py).
    student.page.wait_for_function(
        "() => document.querySelector('[data-room-notice]').textContent"
        ".includes('xor, no hidden layer')"
    )

    # Kick: the student is told and not reconnected.
    teacher.page.click("[data-kick]")
    student.page.wait_for_function(
        "() => document.querySelector('[data-connection]').dataset.connection === 'closed'"
    )
    assert "removed" in student.page.locator("[data-room-notice]").inner_text()

    for pg in (teacher, student):
        # CSP violations and script failures are console errors; the kick's close is not.
        assert not [e for e in pg.console_errors if "4104" not in e], pg.console_errors


@pytest.mark.browser
def test_a_share_link_opens_the_exact_network_in_a_session_of_ones_own(new_page, room_server):
    async def share() -> str:
        room = room_server.new_room()
        teacher = await Client.join(room_server, room["code"], secret=room["secret"])
        await teacher.text("you")
        await teacher.send("configure", hidden=[5], dataset="xor")
        await teacher.send("step", epochs=7)
        await teacher.until(lambda: any(f["epoch"] == 7 for f in teacher.frames))
        await teacher.send("share")
        return (await teacher.text("shared"))["url"]

    url = run(share())
    visitor = new_page(room_server.base)
    visitor.page.goto(room_server.base + url)
    visitor.page.wait_for_function(
        "() => document.querySelector('[data-mode-badge]').dataset.mode === 'snapshot'"
    )
    visitor.page.wait_for_function("() => window.playground.page.last?.epoch === 7")
    assert visitor.page.locator("[data-dataset=xor]").get_attribute("aria-checked") == "true"
    assert visitor.page.locator("[data-readout=num_layers]").inner_text() == "1"
    assert visitor.page.locator('[data-neurons="0"]').inner_text() == "5 neurons"
    # It is the visitor's own session: they can train it further.
    visitor.page.click("[data-action=step]")
    visitor.page.wait_for_function("() => window.playground.page.last?.epoch === 8")
    assert not visitor.console_errors


@pytest.mark.browser
def test_the_main_page_runs_under_the_content_security_policy(new_page, room_server):
    pg = new_page(room_server.base)
    response = pg.page.goto(room_server.base + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    pg.page.wait_for_function("() => window.playground && window.playground.page.last")
    # A blocked script or style would be a console error ("Refused to ...").
    assert not pg.console_errors, pg.console_errors


def create_room_page(new_page, server):
    teacher = new_page(server.base)
    teacher.page.goto(f"{server.base}/classroom")
    teacher.page.click("[data-action=create_room]")
    teacher.page.wait_for_function(
        "() => document.querySelector('[data-mode-badge]').dataset.mode === 'instructor'"
    )
    return teacher, teacher.page.locator("[data-region=room-bar] [data-room-code]").inner_text()


def join_page(new_page, server, code, name):
    student = new_page(server.base)
    student.page.goto(f"{server.base}/room/{code}")
    student.page.fill("[data-name-input]", name)
    student.page.click("[data-action=join]")
    return student


@pytest.mark.browser
def test_lock_and_end_from_the_instructor_page(new_page, room_server):
    teacher, code = create_room_page(new_page, room_server)
    student = join_page(new_page, room_server, code, "Bo")
    student.page.wait_for_function(
        "() => document.querySelector('[data-mode-badge]').dataset.mode === 'follower'"
    )
    teacher.page.click("[data-action=lock]")
    teacher.page.wait_for_function(
        "() => document.querySelector('[data-action=lock]').getAttribute('aria-pressed') === 'true'"
    )
    assert "locked" in student.page.locator("[data-student-count]").inner_text()
    late = join_page(new_page, room_server, code, "Late")
    late.page.wait_for_function("() => !document.querySelector('[data-room-notice]').hidden")
    assert "locked" in late.page.locator("[data-room-notice]").inner_text()

    teacher.page.once("dialog", lambda dialog: dialog.accept())
    teacher.page.click("[data-action=end_room]")
    for pg in (student, teacher):
        pg.page.wait_for_function(
            "() => document.querySelector('[data-connection]').dataset.connection === 'closed'"
        )
    assert "ended" in student.page.locator("[data-room-notice]").inner_text()


@pytest.mark.browser
def test_a_student_whose_connection_drops_gets_their_fork_back(new_page, room_server):
    teacher, code = create_room_page(new_page, room_server)
    student = join_page(new_page, room_server, code, "Cy")
    student.page.wait_for_function(
        "() => document.querySelector('[data-mode-badge]').dataset.mode === 'follower'"
    )
    student.page.click("[data-action=fork]")
    student.page.wait_for_function(
        "() => document.querySelector('[data-mode-badge]').dataset.mode === 'fork'"
    )
    student.page.select_option("[data-field=learning_rate]", "3")
    student.page.wait_for_function("() => window.playground.page.config.learning_rate === 3")
    mark = student.wire.mark()
    student.page.evaluate("window.playground.socket.ws.close()")  # the Wi-Fi blinks
    # The page rejoins with its member id and the server hands back the same fork.
    rejoin = student.wire.wait(
        "a rejoin",
        lambda: [m for m in student.wire.sent[mark[2] :] if m.get("type") == "join"],
    )
    assert "member" in rejoin[0]["data"]
    student.wire.message_after(mark, "you", lambda d: d["mode"] == "fork")
    student.wire.config_after(mark, lambda c: c["learning_rate"] == 3, "the fork's lr")
    assert student.page.locator("[data-field=learning_rate]").input_value() == "3"
    names = teacher.page.locator("[data-roster] li span").all_inner_texts()
    assert names == ["Cy"]
