"""Emoji downloads against a loopback HTTP server that misbehaves on purpose."""

from __future__ import annotations

import http.server
import io
import socket
import threading
from collections.abc import Iterator

import pytest
from PIL import Image

from nca_steps.download import fetch_png
from nca_steps.errors import StepError


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (255, 0, 0, 255)).save(out, "PNG")
    return out.getvalue()


class Handler(http.server.BaseHTTPRequestHandler):
    """Answers by the path's first part: missing (404), flaky (500 once, then the PNG), html,
    truncated, slow; anything else gets the PNG."""

    hits: dict[str, int] = {}

    def do_GET(self) -> None:  # noqa: N802
        kind = self.path.strip("/").split("/")[0]
        n = Handler.hits[kind] = Handler.hits.get(kind, 0) + 1
        body, status = png_bytes(), 200
        if kind == "missing":
            body, status = b"not found", 404
        elif kind == "flaky" and n == 1:
            body, status = b"oops", 500
        elif kind == "html":
            body = b"<!doctype html><html><body>hello</body></html>"
        elif kind == "truncated":
            body = png_bytes()[:40]
        elif kind == "slow":
            threading.Event().wait(2.0)
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_ok(server):
    assert fetch_png(f"{server}/ok", label="🦎") == png_bytes()


def test_404_names_emoji_and_url(server):
    with pytest.raises(StepError, match=f"Noto has no PNG for 🦎: HTTP 404 at {server}/missing"):
        fetch_png(f"{server}/missing", label="🦎")


def test_500_then_success_is_retried(server):
    assert fetch_png(f"{server}/flaky", label="🦎", retries=2) == png_bytes()
    assert Handler.hits["flaky"] == 2


def test_html_is_not_a_png(server):
    with pytest.raises(StepError, match=f"download of 🦎 from {server}/html is not a PNG"):
        fetch_png(f"{server}/html", label="🦎")


def test_truncated_png(server):
    with pytest.raises(StepError, match="is a broken PNG"):
        fetch_png(f"{server}/truncated", label="🦎")


def test_timeout(server):
    with pytest.raises(
        StepError, match=f"could not download 🦎 from {server}/slow: no answer within 0.3 s"
    ):
        fetch_png(f"{server}/slow", label="🦎", timeout=0.3, retries=0)


def test_connection_refused():
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x.png"
    with pytest.raises(StepError, match=f"could not download 🦎 from {url}: connection refused"):
        fetch_png(url, label="🦎", retries=1)
