"""Fetch a PNG over HTTP with a timeout and retries, and refuse anything that is not a whole PNG."""

from __future__ import annotations

import io
import re

import requests
from PIL import Image
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from nca_steps.cli import Range
from nca_steps.errors import StepError

TIMEOUTS = Range(float, above=0, maximum=600)  # seconds per HTTP attempt
RETRIES = Range(int, minimum=0, maximum=10)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LINK_TEXT = re.compile(rb"[A-Za-z0-9_-]{1,64}\.png")  # a link to a file of the same folder


class NotFound(StepError):
    """HTTP 404: whether the file or its whole folder is missing takes a second request."""


def session(retries: int) -> requests.Session:
    """A session that retries refused connections and 5xx answers with backoff."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=0.2,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=("GET",),
        raise_on_status=False,
    )
    s = requests.Session()
    s.mount("http://", HTTPAdapter(max_retries=retry))
    s.mount("https://", HTTPAdapter(max_retries=retry))
    return s


def check_png(data: bytes, what: str) -> None:
    """Raise unless ``data`` decodes completely as a PNG."""
    if not data.startswith(PNG_SIGNATURE):
        raise StepError(f"{what} is not a PNG (starts with {data[:15]!r})")
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
    except (OSError, SyntaxError) as err:
        raise StepError(f"{what} is a broken PNG ({err})") from err


def why(err: requests.RequestException, timeout: float) -> str:
    """A short reason; urllib3's retries wrap timeouts inside connection errors."""
    text = str(err)
    if isinstance(err, requests.Timeout) or "timed out" in text:
        return f"no answer within {timeout:g} s (timeout)"
    if "refused" in text:
        return "connection refused"
    return type(err).__name__


def get(url: str, *, label: str, timeout: float = 10.0, retries: int = 3) -> bytes:
    """GET ``url``'s bytes; a 404 raises ``NotFound``, any other failure one line."""
    try:
        response = session(retries).get(url, timeout=timeout)
    except requests.RequestException as err:
        raise StepError(f"could not download {label} from {url}: {why(err, timeout)}") from err
    if response.status_code == 404:
        raise NotFound(f"HTTP 404 for {label} at {url}")
    if response.status_code != 200:
        raise StepError(f"could not download {label} from {url}: HTTP {response.status_code}")
    return response.content


def fetch_png(url: str, *, label: str, timeout: float = 10.0, retries: int = 3) -> bytes:
    """GET ``url`` and return its bytes once they are known to be a complete PNG."""
    data = get(url, label=label, timeout=timeout, retries=retries)
    check_png(data, f"the download of {label} from {url}")
    return data


def linked_file(data: bytes) -> str | None:
    """The file name that ``data`` is, if it is a git symbolic link to a PNG of the same folder
    as a web server of a repository gives it: the link's text (Noto's region-flags keeps aliases
    so, e.g. UM.png holds the six bytes ``US.png``)."""
    return data.decode("ascii") if LINK_TEXT.fullmatch(data) else None


def serves_png(url: str, *, timeout: float, retries: int) -> bool:
    """Whether ``url`` answers with a whole PNG."""
    try:
        fetch_png(url, label=url, timeout=timeout, retries=retries)
    except StepError:
        return False
    return True


def fetch_noto_png(
    url: str, probe_url: str, *, label: str, setting: str, timeout: float = 10.0, retries: int = 3
) -> tuple[bytes, str]:
    """Like ``fetch_png``, and return the URL the PNG came from too: where ``url`` is a link to
    another file of its folder (``linked_file``), that file, followed once. A 404 says whose
    fault it is: if ``probe_url`` (a file every Noto release has, in the same folder) is a PNG,
    Noto lacks this emoji; if not, the folder that ``setting`` names is not (or no longer)
    Noto's, e.g. the repository moved."""
    try:
        data = get(url, label=label, timeout=timeout, retries=retries)
    except NotFound:
        if serves_png(probe_url, timeout=timeout, retries=retries):
            raise StepError(f"Noto has no PNG for {label}: HTTP 404 at {url}") from None
        folder = url.rsplit("/", 1)[0]
        raise StepError(
            f"{setting} {folder} does not serve Noto's PNGs (HTTP 404 for {label}, and no PNG "
            f"at {probe_url}, which every release has); maybe moved: {setting} may need another "
            "release tag"
        ) from None
    name = linked_file(data)
    if name is not None:
        link, url = url, f"{url.rsplit('/', 1)[0]}/{name}"
        data = get(url, label=f"{label}, linked from {link},", timeout=timeout, retries=retries)
        if linked_file(data) is not None:
            raise StepError(
                f"{link} links to {name}, which links on to {linked_file(data)}; "
                "only one link is followed"
            )
    check_png(data, f"the download of {label} from {url}")
    return data, url
