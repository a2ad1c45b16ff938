"""The prepare_target step on every shipped emoji: Noto's 128x128 -> the notebook's 40x40 + 4."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from nca_steps.emoji_sources import SHIPPED_DIR
from tests.conftest import run_module

SHIPPED = sorted(SHIPPED_DIR.glob("emoji_u*.png"))


def test_eight_emojis_are_shipped():
    assert len(SHIPPED) == 8


@pytest.mark.parametrize("png", SHIPPED, ids=lambda p: p.stem)
def test_shipped_png_gives_a_48x48_target(tmp_path, png):
    with Image.open(png) as img:
        assert img.mode == "RGBA" and img.size == (128, 128)
    proc = prepare(tmp_path, png, size=40)
    assert proc.returncode == 0, proc.stderr
    assert np.load(tmp_path / "target.npy").shape == (48, 48, 4)
    info = json.loads((tmp_path / "target.json").read_text(encoding="utf-8"))
    assert info == {
        "image": str(png),
        "size": [128, 128],
        "mode": "RGBA",
        "exif_orientation": 1,
        "color_profile": None,
        "grid": [48, 48],
        "warnings": [],
    }
    assert "warning" not in proc.stderr


def prepare(tmp_path, image, size):
    return run_module(
        "nca_steps.steps.prepare_target", "--image", image, "--size", size, "--padding", 4,
        "--target-out", tmp_path / "target.npy", "--preview-out", tmp_path / "preview.png",
        "--info-out", tmp_path / "target.json",
    )  # fmt: skip


def test_a_picture_smaller_than_the_size_is_used_as_it_is_with_a_warning(tmp_path):
    image = tmp_path / "small.png"
    Image.new("RGBA", (12, 10), (255, 0, 0, 255)).save(image)
    proc = prepare(tmp_path, image, size=20)
    assert proc.returncode == 0, proc.stderr
    assert np.load(tmp_path / "target.npy").shape == (18, 20, 4)  # never enlarged
    warning = f"picture {image} is 12x10, smaller than size 20: it is used as it is"
    assert f"warning: {warning}" in proc.stderr
    info = json.loads((tmp_path / "target.json").read_text(encoding="utf-8"))
    assert info["grid"] == [20, 18] and warning in info["warnings"][0]


def test_the_sidecar_records_the_exif_orientation_applied(tmp_path):
    image = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (40, 20), (255, 0, 0)).save(image, exif=exif)
    proc = prepare(tmp_path, image, size=20)
    assert proc.returncode == 0, proc.stderr
    assert np.load(tmp_path / "target.npy").shape == (20 + 8, 10 + 8, 4)  # upright: tall
    info = json.loads((tmp_path / "target.json").read_text(encoding="utf-8"))
    assert info["size"] == [20, 40] and info["exif_orientation"] == 6 and info["mode"] == "RGB"


def test_an_animated_picture_fails_in_one_line_and_writes_nothing(tmp_path):
    image = tmp_path / "moving.gif"
    frames = [Image.new("RGB", (8, 8), (255, 0, 0)), Image.new("RGB", (8, 8), (0, 0, 255))]
    frames[0].save(image, save_all=True, append_images=frames[1:])
    proc = prepare(tmp_path, image, size=20)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"error: target image {image} is animated (2 frames); give one still picture "
        "(e.g. the frame you want, saved as PNG)"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["moving.gif"]
