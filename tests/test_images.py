import numpy as np
import pytest
from PIL import Image

from nca_steps.errors import StepError
from nca_steps.images import prepare_target, read_rgba, to_rgb, to_uint8


def save(tmp_path, img: Image.Image, name: str):
    path = tmp_path / name
    img.save(path)
    return path


@pytest.mark.parametrize(
    ("size", "shape"),
    [
        ((128, 128), (40 + 8, 40 + 8, 4)),  # like Noto's PNGs
        ((136, 128), (38 + 8, 40 + 8, 4)),  # not square: the longest side becomes 40
    ],
)
def test_prepare_target_thumbnails_premultiplies_and_pads(size, shape):
    img = Image.new("RGBA", size, (200, 100, 50, 128))
    t = prepare_target(img, 40, 4)
    assert t.shape == shape
    inner = t[4:-4, 4:-4]
    np.testing.assert_allclose(inner[..., 3], 128 / 255, atol=1e-6)
    np.testing.assert_allclose(inner[..., 0], 200 / 255 * 128 / 255, atol=0.005)  # 8-bit resize
    assert float(np.abs(t[:4]).max()) == 0.0


@pytest.mark.parametrize(
    ("mode", "value", "ext"),
    [
        ("L", 128, "png"),
        ("LA", (128, 255), "png"),
        ("RGB", (10, 20, 30), "jpg"),
        ("CMYK", (0, 0, 0, 0), "jpg"),
        ("I;16", 65535, "png"),
    ],
)
def test_image_modes_are_converted(tmp_path, mode, value, ext):
    path = save(tmp_path, Image.new(mode, (6, 5), value), f"img.{ext}")
    img = read_rgba(path)
    assert img.mode == "RGBA" and img.size == (6, 5)
    assert np.asarray(img)[..., 3].min() == 255


def test_palette_with_transparency(tmp_path):
    img = Image.new("P", (4, 4), 0)
    img.putpalette([255, 0, 0, 0, 255, 0])
    img.putpixel((0, 0), 1)
    img.info["transparency"] = 1
    rgba = np.asarray(read_rgba(save(tmp_path, img, "p.png")))
    assert rgba[0, 0, 3] == 0 and rgba[1, 1, 3] == 255 and rgba[1, 1, 0] == 255


def test_missing_file(tmp_path):
    with pytest.raises(StepError, match="does not exist"):
        read_rgba(tmp_path / "nope.png")


@pytest.mark.parametrize("content", [b"", b"this is not an image", b"\x89PNG\r\n\x1a\nxx"])
def test_unreadable_file(tmp_path, content):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(StepError, match="is not a readable PNG or JPEG"):
        read_rgba(path)


def test_to_rgb_composites_on_white():
    x = np.zeros((1, 2, 16), np.float32)
    x[0, 1, :4] = [0.5, 0.0, 0.0, 0.5]  # half-transparent red, premultiplied
    np.testing.assert_allclose(to_rgb(x), [[[1, 1, 1], [1.0, 0.5, 0.5]]])
    assert to_uint8(to_rgb(x), zoom=3).shape == (3, 6, 3)
