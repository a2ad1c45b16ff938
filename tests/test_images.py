import struct

import numpy as np
import pytest
from PIL import Image

from nca_steps.errors import StepError
from nca_steps.images import prepare_target, read_rgba, to_rgb, to_rgba, to_uint8


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


def two_pixels(mode: str, first, second, **info) -> Image.Image:
    img = Image.new(mode, (2, 1), first)
    img.putpixel((1, 0), second)
    img.info.update(info)
    return img


def palette(transparency=None) -> Image.Image:
    img = two_pixels("P", 0, 1)
    img.putpalette([255, 0, 0, 0, 255, 0])
    if transparency is not None:
        img.info["transparency"] = transparency
    return img


WHITE, BLACK = [255, 255, 255, 255], [0, 0, 0, 255]

# (mode as made, image, file format, the two pixels a viewer shows as straight RGBA)
MODES = [
    ("1", two_pixels("1", 0, 1), "png", [BLACK, WHITE]),
    ("1 transparency", two_pixels("1", 0, 1, transparency=0), "png", [[0, 0, 0, 0], WHITE]),
    ("L", two_pixels("L", 0, 200), "png", [BLACK, [200, 200, 200, 255]]),
    ("L transparency", two_pixels("L", 0, 200, transparency=0), "png",
     [[0, 0, 0, 0], [200, 200, 200, 255]]),
    ("LA", two_pixels("LA", (200, 100), (50, 0)), "png", [[200, 200, 200, 100], [50, 50, 50, 0]]),
    ("P", palette(), "png", [[255, 0, 0, 255], [0, 255, 0, 255]]),
    ("P transparency", palette(transparency=1), "png", [[255, 0, 0, 255], [0, 255, 0, 0]]),
    ("P palette alpha", palette(transparency=b"\x80\xff"), "png",
     [[255, 0, 0, 128], [0, 255, 0, 255]]),
    ("P gif transparency", palette(transparency=0), "gif", [[255, 0, 0, 0], [0, 255, 0, 255]]),
    ("I;16", two_pixels("I;16", 0, 65535), "png", [BLACK, WHITE]),
    ("I;16 transparency", two_pixels("I;16", 0, 65535, transparency=0), "png",
     [[0, 0, 0, 0], WHITE]),
    ("I;16B", two_pixels("I;16B", 0, 32768), "tiff", [BLACK, [128, 128, 128, 255]]),
    ("I 16-bit values", two_pixels("I", 0, 65535), "tiff", [BLACK, WHITE]),
    ("I 8-bit values", two_pixels("I", 0, 200), "tiff", [BLACK, [200, 200, 200, 255]]),
    ("F", two_pixels("F", 0.0, 0.25), "tiff", [BLACK, [64, 64, 64, 255]]),
    ("RGB", two_pixels("RGB", (10, 20, 30), (200, 100, 0)), "png",
     [[10, 20, 30, 255], [200, 100, 0, 255]]),
    ("RGB transparency", two_pixels("RGB", (10, 20, 30), (200, 100, 0), transparency=(10, 20, 30)),
     "png", [[10, 20, 30, 0], [200, 100, 0, 255]]),
    ("RGBA", two_pixels("RGBA", (10, 20, 30, 40), (200, 100, 0, 255)), "png",
     [[10, 20, 30, 40], [200, 100, 0, 255]]),
    ("CMYK", two_pixels("CMYK", (0, 0, 0, 0), (0, 255, 255, 0)), "tiff",
     [WHITE, [255, 0, 0, 255]]),
    ("YCbCr", two_pixels("YCbCr", (76, 85, 255), (255, 128, 128)), "tiff",
     [[255, 0, 0, 255], WHITE]),
    ("LAB", two_pixels("LAB", (255, 128, 128), (0, 128, 128)), "tiff", [WHITE, BLACK]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "img", "ext", "shown"), MODES, ids=[m[0] for m in MODES])
def test_every_mode_reads_as_a_viewer_shows_it(tmp_path, name, img, ext, shown):
    save_options = {"transparency": img.info["transparency"]} if "transparency" in img.info else {}
    path = tmp_path / f"img.{ext}"
    img.save(path, **save_options)
    with Image.open(path) as stored:  # the file really holds the mode the case is about
        assert stored.mode in (img.mode, "P"), stored.mode
    rgba = read_rgba(path)
    assert rgba.mode == "RGBA" and rgba.size == (2, 1)
    np.testing.assert_allclose(np.asarray(rgba, np.int32)[0], shown, atol=2)


@pytest.mark.parametrize(
    ("img", "shown"),
    [
        (two_pixels("PA", (0, 255), (1, 0)), [[255, 0, 0, 255], [0, 255, 0, 0]]),
        (two_pixels("HSV", (0, 255, 255), (85, 255, 255)), [[255, 0, 0, 255], [0, 255, 0, 255]]),
        (two_pixels("RGBa", (100, 0, 0, 128), (0, 0, 0, 0)), [[199, 0, 0, 128], [0, 0, 0, 0]]),
    ],
    ids=["PA", "HSV", "RGBa"],
)
def test_modes_no_file_format_stores_read_as_shown(img, shown):
    if img.mode == "PA":
        img.putpalette([255, 0, 0, 0, 255, 0])
    np.testing.assert_allclose(np.asarray(to_rgba(img), np.int32)[0], shown, atol=2)


def test_a_mode_pillow_cannot_show_is_one_line():
    with pytest.raises(StepError, match="has mode La; valid: 1, L, LA, P"):
        to_rgba(Image.new("La", (2, 1)), "target image x.tiff")


def test_exif_orientation_turns_the_picture_upright(tmp_path):
    """A phone's sideways JPEG: stored 40 wide with the top of the scene on the left, Orientation
    6 (turn 90 degrees clockwise to view) -> 20 wide, 40 tall, the left half on top."""
    stored = Image.new("RGB", (40, 20), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "phone.jpg"
    stored.save(path, exif=exif, quality=95)
    img = read_rgba(path)
    assert img.size == (20, 40) and img.info["orientation"] == 6 and img.info["mode"] == "RGB"
    pixels = np.asarray(img, np.int32)
    np.testing.assert_allclose(pixels[5, 10], [255, 0, 0, 255], atol=8)  # top: red
    np.testing.assert_allclose(pixels[35, 10], [0, 0, 255, 255], atol=8)  # bottom: blue


@pytest.mark.parametrize("ext", ["gif", "png", "webp"])
def test_an_animated_picture_is_refused_in_one_line(tmp_path, ext):
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    path = tmp_path / f"moving.{ext}"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    with pytest.raises(StepError, match=r"is animated \(3 frames\); give one still picture"):
        read_rgba(path)


def test_one_frame_gif_is_a_still_picture(tmp_path):
    path = tmp_path / "still.gif"
    Image.new("RGB", (8, 8), (255, 0, 0)).save(path)
    assert read_rgba(path).size == (8, 8)


def s15(x: float) -> bytes:
    return struct.pack(">i", round(x * 65536))


def xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + s15(x) + s15(y) + s15(z)


def rgb_icc_profile(name: str, red, green, blue, gamma: float = 2.2) -> bytes:
    """A minimal ICC v2 display profile: primaries (D50 XYZ) and one gamma (ICC.1:2001-04)."""
    text = name.encode() + b"\0"
    description = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(8 + 3 + 67)
    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256)) + bytes(2)
    tags = [(b"desc", description), (b"wtpt", xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", xyz(*red)),
            (b"gXYZ", xyz(*green)), (b"bXYZ", xyz(*blue)), (b"rTRC", curve), (b"gTRC", curve),
            (b"bTRC", curve)]  # fmt: skip
    start = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", start + len(data), len(body))
        data += body
    header = (
        struct.pack(">I", start + len(data)) + bytes(4) + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ " + bytes(12) + b"acsp" + bytes(28)
        + s15(0.9642) + s15(1.0) + s15(0.8249) + bytes(48)
    )  # fmt: skip
    return header + struct.pack(">I", len(tags)) + table + data


# sRGB's primaries adapted to D50, as ICC profiles store them
SRGB_RED, SRGB_GREEN, SRGB_BLUE = (
    (0.4361, 0.2225, 0.0139),
    (0.3851, 0.7169, 0.0971),
    (
        0.1431,
        0.0606,
        0.7141,
    ),
)


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_colours_are_converted_from_the_embedded_icc_profile(tmp_path, mode):
    """A profile whose red primary is sRGB's blue: the stored red is shown blue."""
    swapped = rgb_icc_profile("red is blue", SRGB_BLUE, SRGB_GREEN, SRGB_RED)
    img = two_pixels(mode, (255, 0, 0, 90)[: len(mode)], (0, 255, 0, 255)[: len(mode)])
    img.save(tmp_path / "tagged.png", icc_profile=swapped)
    rgba = read_rgba(tmp_path / "tagged.png")
    alpha = 90 if mode == "RGBA" else 255
    np.testing.assert_allclose(
        np.asarray(rgba, np.int32)[0], [[0, 0, 255, alpha], [0, 255, 0, 255]], atol=2
    )
    assert rgba.info["color_profile"] == "red is blue"


@pytest.mark.parametrize(
    "profile", [rgb_icc_profile("like sRGB", SRGB_RED, SRGB_GREEN, SRGB_BLUE), b"not a profile"]
)
def test_an_srgb_or_unreadable_profile_leaves_the_colours(tmp_path, profile):
    """(The test profile's gamma 2.2 is sRGB's curve but for the darkest tones.)"""
    img = two_pixels("RGB", (200, 150, 100), (255, 255, 255))
    img.save(tmp_path / "tagged.png", icc_profile=profile)
    rgba = np.asarray(read_rgba(tmp_path / "tagged.png"), np.int32)[0]
    np.testing.assert_allclose(rgba, [[200, 150, 100, 255], [255, 255, 255, 255]], atol=3)


def test_a_decompression_bomb_is_one_line(tmp_path):
    """15000 x 12500 (187.5 million pixels) of 1-bit PNG: small on disk, past Pillow's guard."""
    path = tmp_path / "bomb.png"
    Image.new("1", (15000, 12500)).save(path)
    assert path.stat().st_size < 100_000
    with pytest.raises(StepError, match=r"bomb.png is too large to open safely \(Image size") as e:
        read_rgba(path)
    assert "\n" not in str(e.value) and "187500000 pixels" in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(StepError, match="does not exist"):
        read_rgba(tmp_path / "nope.png")


@pytest.mark.parametrize("content", [b"", b"this is not an image", b"\x89PNG\r\n\x1a\nxx"])
def test_unreadable_file(tmp_path, content):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(StepError, match="is not a readable image"):
        read_rgba(path)


def test_to_rgb_composites_on_white():
    x = np.zeros((1, 2, 16), np.float32)
    x[0, 1, :4] = [0.5, 0.0, 0.0, 0.5]  # half-transparent red, premultiplied
    np.testing.assert_allclose(to_rgb(x), [[[1, 1, 1], [1.0, 0.5, 0.5]]])
    assert to_uint8(to_rgb(x), zoom=3).shape == (3, 6, 3)
