"""The fetch_emoji step: sources, the sidecar, and nothing half-written when it fails."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from nca_steps.emoji_sources import SHIPPED_DIR, SHIPPED_RELEASE, installed_font
from tests.conftest import run_module
from tests.test_download import server, site  # noqa: F401  (the loopback server fixtures)


def fetch(tmp_path, emoji: str, code: str, *extra: str):
    return run_module(
        "nca_steps.steps.fetch_emoji",
        "--emoji",
        emoji,
        "--png-out",
        tmp_path / f"{code}.png",
        "--source-out",
        tmp_path / f"{code}.json",
        *extra,
    )


def test_shipped(tmp_path):
    proc = fetch(tmp_path, "🦎", "u1f98e", "--sources", "shipped")
    assert proc.returncode == 0, proc.stderr
    sidecar = json.loads((tmp_path / "u1f98e.json").read_text())
    assert sidecar["source"] == "shipped" and sidecar["code"] == "u1f98e"
    assert sidecar["release"] == SHIPPED_RELEASE
    assert (tmp_path / "u1f98e.png").read_bytes() == (SHIPPED_DIR / "emoji_u1f98e.png").read_bytes()


def test_the_emoji_in_u_notation_as_the_workflow_passes_it(tmp_path):
    proc = fetch(tmp_path, "U+1F98E", "u1f98e", "--sources", "shipped")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "u1f98e.json").read_text())["emoji"] == "🦎"


def test_shipped_pngs_name_their_release_and_license():
    notice = (SHIPPED_DIR / "NOTICE").read_text()
    assert f"release tag {SHIPPED_RELEASE}" in notice and "Apache License, Version 2.0" in notice


def test_download_with_sidecar(tmp_path, site):  # noqa: F811
    # the loopback server answers every path but its special ones with a PNG
    proc = fetch(tmp_path, "🐸", "u1f438", "--sources", "download", "--base-url", f"{site.url}/ok")
    assert proc.returncode == 0, proc.stderr
    sidecar = json.loads((tmp_path / "u1f438.json").read_text())
    assert sidecar == {
        "emoji": "🐸",
        "code": "u1f438",
        "source": "download",
        "url": f"{site.url}/ok/emoji_u1f438.png",
        "release": None,  # the URL names no Noto release tag
        "sha256": sidecar["sha256"],
    }


def test_sidecar_names_the_release_in_the_url(tmp_path, site):  # noqa: F811
    base = f"{site.url}/ok/googlefonts/noto-emoji/v2.047/png/128"
    proc = fetch(tmp_path, "🐸", "u1f438", "--sources", "download", "--base-url", base)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "u1f438.json").read_text())["release"] == "v2.047"


def test_download_failure_is_one_line_and_leaves_nothing(tmp_path, site):  # noqa: F811
    base = f"{site.url}/html"
    proc = fetch(tmp_path, "🐸", "u1f438", "--sources", "download", "--base-url", base)
    assert proc.returncode == 1
    line = proc.stderr.strip()
    assert "\n" not in line and line.startswith("error: no source has emoji 🐸 (u1f438)")
    assert f"{base}/emoji_u1f438.png is not a PNG" in line
    assert list(tmp_path.iterdir()) == []


def test_moved_repository_is_told_from_a_missing_emoji(tmp_path, site):  # noqa: F811
    base = f"{site.url}/missing"
    proc = fetch(tmp_path, "🐸", "u1f438", "--sources", "download", "--base-url", base)
    assert proc.returncode == 1
    line = proc.stderr.strip()
    assert "\n" not in line and f"emoji.base_url {base} does not serve Noto's PNGs" in line
    assert list(tmp_path.iterdir()) == []


ENGLAND = "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"


@pytest.mark.parametrize(
    ("emoji", "code", "iso"),
    [
        ("🇯🇵", "u1f1ef_1f1f5", "JP"),
        (ENGLAND, "u1f3f4_e0067_e0062_e0065_e006e_e0067_e007f", "GB-ENG"),
    ],
)
def test_flag_is_downloaded_from_region_flags_and_fitted(tmp_path, site, emoji, code, iso):  # noqa: F811
    flags = f"{site.url}/wide/v2.047/third_party/region-flags/png"  # serves a 90x60 PNG
    proc = fetch(tmp_path, emoji, code, "--sources", "download", "--flags-url", flags)
    assert proc.returncode == 0, proc.stderr
    sidecar = json.loads((tmp_path / f"{code}.json").read_text())
    assert sidecar["url"] == f"{flags}/{iso}.png" and sidecar["release"] == "v2.047"
    with Image.open(tmp_path / f"{code}.png") as img:
        assert img.mode == "RGBA" and img.size == (128, 128)
        assert img.getbbox() == (0, 21, 128, 106)  # 90x60 -> 128x85, centered


def test_a_flag_alias_is_followed_and_recorded(tmp_path, site):  # noqa: F811
    """🇺🇲 at Noto v2.047: UM.png is a link holding the text ``US.png``."""
    flags = f"{site.url}/alias/v2.047/third_party/region-flags/png"
    proc = fetch(tmp_path, "🇺🇲", "u1f1fa_1f1f2", "--sources", "download", "--flags-url", flags)
    assert proc.returncode == 0, proc.stderr
    sidecar = json.loads((tmp_path / "u1f1fa_1f1f2.json").read_text())
    assert sidecar["url"] == f"{flags}/UM.png" and sidecar["linked_to"] == f"{flags}/US.png"
    assert sidecar["release"] == "v2.047"
    with Image.open(tmp_path / "u1f1fa_1f1f2.png") as img:
        assert img.mode == "RGBA" and img.size == (128, 128)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("noto", "Noto has no PNG for 🇰🇵 (u1f1f0_1f1f5): HTTP 404 at {flags}/KP.png"),
        ("missing", "emoji.flags_url {flags} does not serve Noto's PNGs"),
    ],
)
def test_flag_404_is_told_from_a_moved_folder(tmp_path, site, kind, message):  # noqa: F811
    flags = f"{site.url}/{kind}"  # noto: only the probe JP.png exists; missing: nothing does
    proc = fetch(tmp_path, "🇰🇵", "u1f1f0_1f1f5", "--sources", "download", "--flags-url", flags)
    assert proc.returncode == 1
    assert message.format(flags=flags) in proc.stderr


def test_not_an_emoji(tmp_path):
    proc = fetch(tmp_path, "x", "u0078")
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "error: 'x' is not a single emoji; give one emoji (e.g. '🦎') or an image file path"
    )


def premultiplied(path) -> np.ndarray:
    with Image.open(path) as img:
        assert img.mode == "RGBA" and img.size == (128, 128)
        rgba = np.asarray(img, np.float64)
    rgba[..., :3] *= rgba[..., 3:] / 255
    return rgba


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per channel, in 0..255."""
    return np.abs(a - b).mean(axis=(0, 1))


@pytest.mark.skipif(installed_font() is None, reason="Noto Color Emoji font not installed")
def test_font_renders_notos_geometry(tmp_path):
    proc = fetch(tmp_path, "🦎", "u1f98e", "--sources", "font")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "u1f98e.json").read_text())["source"] == "font"
    font = premultiplied(tmp_path / "u1f98e.png")
    shipped = premultiplied(SHIPPED_DIR / "emoji_u1f98e.png")
    # measured (font 2.042 vs PNG v2.047): 0.15 1.33 0.54 0.01; 4 columns off: up to 27
    assert mean_abs_diff(font, shipped).max() < 4
    assert mean_abs_diff(np.roll(font, 4, axis=1), shipped).max() > 4


def test_two_jobs_fetching_the_same_emoji(tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "nca_steps.steps.fetch_emoji",
        "--emoji",
        "🦎",
        "--sources",
        "shipped",
        "--png-out",
        str(tmp_path / "u1f98e.png"),
        "--source-out",
        str(tmp_path / "u1f98e.json"),
    ]
    procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE) for _ in range(2)]
    assert [p.wait() for p in procs] == [0, 0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["u1f98e.json", "u1f98e.png"]
