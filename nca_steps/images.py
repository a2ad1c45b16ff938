"""Target images: read any common image file, shrink, premultiply and pad as the notebook does;
and turn NCA states into pictures, as files or inline in self-contained pages."""

from __future__ import annotations

import base64
import io
import os

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from nca_steps.errors import StepError

# Pillow's convert gives each of these the alpha a viewer shows (an alpha channel, or the
# ``transparency`` entry of a palette, 1-bit, grayscale or RGB image).
CONVERTED_BY_PILLOW = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBa")
VIA_RGB = ("CMYK", "YCbCr", "HSV")  # opaque colour spaces Pillow converts to RGB exactly
HIGH_DEPTH = ("I", "I;16", "I;16L", "I;16B", "I;16N", "F")  # grayscale past 8 bits
READABLE_MODES = (*CONVERTED_BY_PILLOW, *VIA_RGB, "LAB", *HIGH_DEPTH)
ORIENTATION_TAG = 0x0112  # EXIF: how the stored pixels turn to be seen upright
SRGB = ImageCms.createProfile("sRGB")


def read_rgba(path: str | os.PathLike, what: str = "target image") -> Image.Image:
    """An image file as a viewer shows it, in 8-bit RGBA: upright by its EXIF Orientation, one
    still frame, each mode's alpha (see ``to_rgba``).

    Raises StepError, in one line that calls the file ``what``, for a missing or unreadable file,
    an animated one, one past Pillow's decompression-bomb guard or in a mode not in
    ``READABLE_MODES``. Colours are converted from an embedded RGB ICC profile to sRGB, as a
    colour-managed viewer shows them (e.g. a phone's Display P3 photo); an unreadable profile
    is ignored, as viewers do, and so are gray and CMYK ones (CMYK as Pillow converts it).
    The result's ``info`` names the file's ``mode``, EXIF ``orientation`` (1: upright as
    stored) and ``color_profile`` (the ICC profile's description, or None)."""
    try:
        img = Image.open(path)
        frames = getattr(img, "n_frames", 1)
        if frames > 1:
            raise StepError(
                f"{what} {path} is animated ({frames} frames); give one still picture "
                "(e.g. the frame you want, saved as PNG)"
            )
        orientation = img.getexif().get(ORIENTATION_TAG, 1)
        img = ImageOps.exif_transpose(img)  # loads the pixels too
    except FileNotFoundError as err:
        raise StepError(f"{what} {path} does not exist") from err
    except Image.DecompressionBombError as err:
        # Pillow's message names the image's pixel count and the limit
        raise StepError(f"{what} {path} is too large to open safely ({err})") from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise StepError(f"{what} {path} is not a readable image ({err})") from err
    profile = icc_profile(img)
    rgba = to_rgba(img, f"{what} {path}")
    if profile is not None and profile.profile.xcolor_space == "RGB ":
        rgba = ImageCms.profileToProfile(rgba, profile, SRGB, outputMode="RGBA")
    description = ImageCms.getProfileDescription(profile).strip() if profile else None
    rgba.info.update(mode=img.mode, orientation=orientation, color_profile=description)
    return rgba


def icc_profile(img: Image.Image) -> ImageCms.ImageCmsProfile | None:
    """The ICC profile embedded in ``img``, if it has a readable one."""
    data = img.info.get("icc_profile")
    if not data:
        return None
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(data))
    except (OSError, ImageCms.PyCMSError):
        return None


def to_rgba(img: Image.Image, name: str = "image") -> Image.Image:
    """``img`` as 8-bit RGBA with the alpha a viewer shows: Pillow's conversion for 8-bit modes;
    CMYK, YCbCr and HSV through RGB, opaque; CIELAB through an sRGB profile; 16- and 32-bit
    integers scaled from 0..65535 (0..255 for 32-bit values that fit in 8 bits), floats (F)
    from 0..1, a ``transparency`` value of these transparent.

    Raises StepError, naming ``name``, for a mode not in ``READABLE_MODES``."""
    mode = img.mode
    if mode in CONVERTED_BY_PILLOW:
        return img.convert("RGBA")
    if mode in VIA_RGB:
        return img.convert("RGB").convert("RGBA")
    if mode == "LAB":
        lab_to_srgb = ImageCms.buildTransform(ImageCms.createProfile("LAB"), SRGB, "LAB", "RGB")
        return ImageCms.applyTransform(img, lab_to_srgb).convert("RGBA")
    if mode not in HIGH_DEPTH:
        raise StepError(f"{name} has mode {mode}; valid: {', '.join(READABLE_MODES)}")
    values = np.asarray(img, np.float64)
    if mode == "F":
        peak = 1.0
    else:
        peak = 65535.0 if mode.startswith("I;16") or values.max() > 255 else 255.0
    gray = np.uint8(np.round(np.clip(values / peak, 0, 1) * 255))
    alpha = np.full_like(gray, 255)
    if "transparency" in img.info:
        alpha[values == img.info["transparency"]] = 0
    return Image.fromarray(np.stack([gray, gray, gray, alpha], axis=-1))


def prepare_target(img: Image.Image, size: int, padding: int) -> np.ndarray:
    """Thumbnail to ``size`` (LANCZOS), scale to [0, 1], premultiply RGB by alpha, zero-pad."""
    img = img.copy()
    img.thumbnail((size, size), Image.Resampling.LANCZOS)
    rgba = np.asarray(img, np.float32) / 255.0
    rgba[..., :3] *= rgba[..., 3:]
    return np.pad(rgba, ((padding, padding), (padding, padding), (0, 0)))


def to_rgb(x: np.ndarray) -> np.ndarray:
    """Premultiplied RGBA (or a full NCA state) composited on white, in [0, 1]."""
    x = np.asarray(x, np.float32)
    alpha = np.clip(x[..., 3:4], 0.0, 1.0)
    return np.clip(1.0 - alpha + x[..., :3], 0.0, 1.0)


def to_uint8(rgb: np.ndarray, zoom: int = 1) -> np.ndarray:
    """[0, 1] floats to 8-bit pixels, each repeated ``zoom`` times in both directions."""
    pixels = np.uint8(np.round(np.clip(rgb, 0.0, 1.0) * 255))
    return pixels.repeat(zoom, axis=-3).repeat(zoom, axis=-2)


def preview_png(rgba: np.ndarray, zoom: int) -> bytes:
    """A target (or state) composited on white and zoomed, as a PNG file's bytes."""
    buffer = io.BytesIO()
    Image.fromarray(to_uint8(to_rgb(rgba), zoom)).save(buffer, format="PNG")
    return buffer.getvalue()


def data_uri(data: bytes, mime: str) -> str:
    """A file's bytes inline, for an ``src`` of a page that must stand on its own."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
