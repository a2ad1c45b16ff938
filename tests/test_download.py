"""Emoji downloads against a loopback HTTP server that misbehaves on purpose."""

from __future__ import annotations

import contextlib
import http.server
import io
import os
import socket
import threading
import urllib.parse
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from nca_steps.download import fetch_noto_png, fetch_png, linked_file
from nca_steps.errors import StepError
from tests.conftest import ROOT

PROBES = ("emoji_u1f600.png", "JP.png")  # the files every Noto release has
# The Distill article's models for the tests ($NCA_STEPS_DISTILL_MODELS to look elsewhere).
DISTILL_MODELS = Path(
    os.environ.get("NCA_STEPS_DISTILL_MODELS", ROOT.parent / "shared" / "distill-growing-ca")
)


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (255, 0, 0, 255)).save(out, "PNG")
    return out.getvalue()


class Server(http.server.ThreadingHTTPServer):
    """Counts requests per test folder and kind, so that no test sees another's."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.hits: defaultdict[str, Counter[str]] = defaultdict(Counter)


class Handler(http.server.BaseHTTPRequestHandler):
    """Answers by the path's second part (the first is one test's folder, see ``site``):
    missing (404: a folder where nothing exists), noto (PNGs for the probe files only: a Noto
    folder without the emoji asked for), moved (404, but an HTML page for the probe files),
    flaky (500 once, then the PNG), html, truncated, slow, wide (a 90x60 PNG), alias (every file
    but US.png is a link to US.png: its text), chain (a link to US.png, itself a link), distill
    (the Distill article's models, or 404); anything else gets an 8x8 PNG."""

    server: Server

    def do_GET(self) -> None:  # noqa: N802
        folder, kind, *_ = self.path.strip("/").split("/") + ["", ""]
        name = self.path.rsplit("/", 1)[-1]
        self.server.hits[folder][kind] += 1
        n = self.server.hits[folder][kind]
        body, status = png_bytes(), 200
        if kind == "missing":
            body, status = b"not found", 404
        elif kind == "noto" and name not in PROBES:
            body, status = b"not found", 404
        elif kind == "moved":
            body, status = (b"<html>moved</html>", 200) if name in PROBES else (b"gone", 404)
        elif kind == "flaky" and n == 1:
            body, status = b"oops", 500
        elif kind == "html":
            body = b"<!doctype html><html><body>hello</body></html>"
        elif kind == "truncated":
            body = png_bytes()[:40]
        elif kind == "slow":
            threading.Event().wait(2.0)
        elif kind == "wide":
            body = png_bytes((90, 60))
        elif kind == "distill":  # the article's models, from the copies beside the repository
            path = DISTILL_MODELS / urllib.parse.unquote(name)
            body, status = (path.read_bytes(), 200) if path.is_file() else (b"not found", 404)
        elif kind == "alias" and name != "US.png":  # a git link, as GitHub serves it
            body = b"US.png"
        elif kind == "chain":
            body = b"US.png" if name != "US.png" else b"CA.png"
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args) -> None:
        pass


@dataclass
class Site:
    """One test's folder on the loopback server, and the requests it received by kind."""

    url: str
    hits: Counter[str]


@contextlib.contextmanager
def serving() -> Iterator[Server]:
    """The loopback server, answering in a thread of this process until the block ends."""
    httpd = Server()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serving() as httpd:
        yield httpd


@pytest.fixture
def site(server: Server) -> Site:
    folder = uuid.uuid4().hex
    return Site(f"http://127.0.0.1:{server.server_address[1]}/{folder}", server.hits[folder])


def test_ok(site):
    assert fetch_png(f"{site.url}/ok/emoji_u1f98e.png", label="🦎") == png_bytes()


def test_500_then_success_is_retried(site):
    assert fetch_png(f"{site.url}/flaky/emoji_u1f98e.png", label="🦎", retries=2) == png_bytes()
    assert site.hits["flaky"] == 2


def test_html_is_not_a_png(site):
    url = f"{site.url}/html/emoji_u1f98e.png"
    with pytest.raises(StepError, match=f"download of 🦎 from {url} is not a PNG"):
        fetch_png(url, label="🦎")


def test_truncated_png(site):
    with pytest.raises(StepError, match="is a broken PNG"):
        fetch_png(f"{site.url}/truncated/emoji_u1f98e.png", label="🦎")


def test_timeout(site):
    url = f"{site.url}/slow/emoji_u1f98e.png"
    expected = f"could not download 🦎 from {url}: no answer within 0.3 s"
    with pytest.raises(StepError, match=expected):
        fetch_png(url, label="🦎", timeout=0.3, retries=0)


def test_connection_refused():
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x.png"
    with pytest.raises(StepError, match=f"could not download 🦎 from {url}: connection refused"):
        fetch_png(url, label="🦎", retries=1)


def noto(site: Site, kind: str, name: str, probe: str = "emoji_u1f600.png") -> tuple[bytes, str]:
    folder = f"{site.url}/{kind}"
    return fetch_noto_png(
        f"{folder}/{name}", f"{folder}/{probe}", label="🦎", setting="emoji.base_url", retries=0
    )


def test_404_where_the_probe_exists_means_noto_lacks_the_emoji(site):
    url = f"{site.url}/noto/emoji_u1f98e.png"
    with pytest.raises(StepError, match=f"^Noto has no PNG for 🦎: HTTP 404 at {url}$"):
        noto(site, "noto", "emoji_u1f98e.png")
    assert site.hits["noto"] == 2  # the emoji, then the probe


@pytest.mark.parametrize("kind", ["missing", "moved"])
def test_404_where_the_probe_is_no_png_means_the_folder_is_not_notos(site, kind):
    with pytest.raises(StepError) as err:
        noto(site, kind, "emoji_u1f98e.png")
    message = str(err.value)
    assert message.startswith(f"emoji.base_url {site.url}/{kind} does not serve Noto's PNGs")
    assert "maybe moved: emoji.base_url may need another release tag" in message
    assert "\n" not in message and "Noto has no PNG" not in message


def test_probe_is_only_asked_after_a_404(site):
    url = f"{site.url}/ok/emoji_u1f98e.png"
    assert noto(site, "ok", "emoji_u1f98e.png") == (png_bytes(), url)
    assert site.hits["ok"] == 1


def test_a_link_to_another_file_of_the_folder_is_followed_once(site):
    """Noto's flag aliases: UM.png holds the text ``US.png``, served as such over HTTP."""
    assert noto(site, "alias", "UM.png") == (png_bytes(), f"{site.url}/alias/US.png")
    assert site.hits["alias"] == 2


def test_a_link_to_a_link_is_one_line(site):
    with pytest.raises(StepError) as err:
        noto(site, "chain", "UM.png")
    assert str(err.value) == (
        f"{site.url}/chain/UM.png links to US.png, which links on to CA.png; "
        "only one link is followed"
    )


@pytest.mark.parametrize("text", [b"../US.png", b"US.png\n<html>", b"US.gif"])
def test_only_a_bare_png_name_counts_as_a_link(text):
    assert linked_file(text) is None
    assert linked_file(b"GB-ENG.png") == "GB-ENG.png"
