"""The prepare_target step on every shipped emoji: Noto's 128x128 -> the notebook's 40x40 + 4."""

from __future__ import annotations

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
    target = tmp_path / "target.npy"
    proc = run_module(
        "nca_steps.steps.prepare_target",
        "--image",
        png,
        "--size",
        "40",
        "--padding",
        "4",
        "--target-out",
        target,
        "--preview-out",
        tmp_path / "preview.png",
    )
    assert proc.returncode == 0, proc.stderr
    assert np.load(target).shape == (48, 48, 4)
