"""A page of another origin may frame the playground only when `frame_ancestors` lists it."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = pytest.mark.browser


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def course_site(tmp_path) -> Iterator[str]:
    """A real loopback web server on another port (so another origin) serving tmp_path.

    Real, not a page.route() answer: Chromium's local-network checks refuse a frame of
    127.0.0.1 inside a page that has no address of its own.
    """
    handler = functools.partial(Quiet, directory=str(tmp_path))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def framed_url(new_page, server, site: str, directory) -> str:
    """Open `site`'s course page holding an iframe of the server's page; the frame's URL.

    A frame the browser refused shows its own error page (chrome-error://) instead.
    """
    (directory / "course.html").write_text(
        f'<!doctype html><iframe src="{server.url}/" width="800" height="600"></iframe>'
    )
    pg = new_page(server.url)
    pg.page.goto(f"{site}/course.html")
    frame = pg.page.frames[1]
    frame.wait_for_load_state()
    pg.page.wait_for_function("() => document.querySelector('iframe').contentWindow !== null")
    pg.console_errors.clear()  # a refused frame is reported as a console error: expected
    return frame.url


def test_by_default_another_origin_may_not_frame_it(
    new_page, shared_live_server, course_site, tmp_path
):
    url = framed_url(new_page, shared_live_server, course_site, tmp_path)
    assert url.startswith("chrome-error://")


def test_the_servers_own_origin_may_frame_it(new_page, shared_live_server, tmp_path):
    # The server serves no page with a frame: the browser answers this one (same origin).
    pg = new_page(shared_live_server.url)
    html = f'<iframe src="{shared_live_server.url}/"></iframe>'
    pg.page.route(
        "**/course.html", lambda route: route.fulfill(body=html, content_type="text/html")
    )
    pg.page.goto(f"{shared_live_server.url}/course.html")
    frame = pg.page.frames[1]
    frame.wait_for_load_state()
    assert frame.url.startswith(f"{shared_live_server.url}/")


def test_a_listed_origin_may_frame_it(new_page, live_server_factory, course_site, tmp_path):
    server = live_server_factory(frame_ancestors=f"'self' {course_site}")
    assert framed_url(new_page, server, course_site, tmp_path).startswith(f"{server.url}/")
