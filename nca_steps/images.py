"""Target images: read any common image file, shrink, premultiply and pad as the notebook does;
and turn NCA states into pictures, as files or inline in self-contained pages."""

from __future__ import annotations

import base64
import io
import os

import numpy as np
from PIL import Image, UnidentifiedImageError

from nca_steps.errors import StepError

CONVERTIBLE_MODES = ("RGBA", "RGB", "LA", "L", "P", "PA", "CMYK", "1", "I;16", "I;16B", "I", "RGBa")


def read_rgba(path: str | os.PathLike, what: str = "target image") -> Image.Image:
    """Open an image file as 8-bit RGBA, converting grayscale, palette, 16-bit and CMYK images;
    a missing or unreadable file is refused in one line that calls it ``what``."""
    try:
        img = Image.open(path)
        img.load()
    except FileNotFoundError as err:
        raise StepError(f"{what} {path} does not exist") from err
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise StepError(f"{what} {path} is not a readable PNG or JPEG ({err})") from err
    if img.mode not in CONVERTIBLE_MODES:
        raise StepError(f"{what} {path} has mode {img.mode}; valid: {', '.join(CONVERTIBLE_MODES)}")
    if img.mode.startswith("I"):  # 16- or 32-bit grayscale: scale to 8 bits first
        values = np.asarray(img, np.float64)
        peak = 65535.0 if img.mode.startswith("I;16") or values.max() > 255 else 255.0
        img = Image.fromarray(np.uint8(np.clip(values / peak, 0, 1) * 255))
    return img.convert("RGBA")


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
