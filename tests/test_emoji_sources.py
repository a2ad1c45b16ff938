"""Every source gives Noto's geometry: flags of any proportions are fitted into 128x128."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from nca_steps.emoji_sources import center, fit


@pytest.mark.parametrize(
    ("size", "box"),  # region-flags' sizes: JP, CH, US, NP (taller than wide)
    [
        ((900, 600), (0, 21, 128, 106)),
        ((1000, 1000), (0, 0, 128, 128)),
        ((1235, 650), (0, 30, 128, 97)),
        ((726, 885), (11, 0, 116, 128)),
    ],
)
def test_fit_scales_the_longest_side_to_128_and_centers(size, box):
    img = fit(Image.new("RGB", size, (0, 90, 200)))
    assert img.mode == "RGBA" and img.size == (128, 128)
    assert img.getbbox() == box  # transparent outside the flag
    left, top, right, bottom = box
    inner = np.asarray(img)[top + 2 : bottom - 2, left + 2 : right - 2]
    assert (inner == (0, 90, 200, 255)).all()


def test_center_cuts_what_sticks_out_evenly():
    img = Image.new("RGBA", (136, 128), (0, 0, 0, 0))
    img.paste((255, 0, 0, 255), (4, 0, 132, 128))  # the font's glyph: 4 empty columns a side
    out = center(img)
    assert out.size == (128, 128) and np.asarray(out)[..., 3].min() == 255
