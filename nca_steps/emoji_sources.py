"""Where an emoji's PNG comes from: Noto's PNGs shipped with the package, the Noto download, or
the Noto Color Emoji font when it is installed. Each source returns PNG bytes and a record of
itself, and every source gives Noto's geometry: 128x128 RGBA."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from nca_steps.download import fetch_noto_png
from nca_steps.emoji import (
    PROBE_CODE,
    PROBE_FLAG,
    flag_iso,
    flag_url,
    noto_file_name,
    noto_url,
    release_tag,
)
from nca_steps.errors import StepError

SHIPPED_DIR = Path(__file__).parent / "emoji_png"
SHIPPED_RELEASE = "v2.047"  # the Noto tag SHIPPED_DIR's PNGs were copied from (see its NOTICE)
FONT_PATHS = (
    Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),
    Path("/usr/share/fonts/noto/NotoColorEmoji.ttf"),
    Path("/Library/Fonts/NotoColorEmoji.ttf"),
)
SOURCES = ("shipped", "download", "font")
FONT_BITMAP_SIZE = 109  # the one size Noto Color Emoji's bitmaps come in (136x128 glyphs)
NOTO_SIZE = 128  # Noto's png/128: every emoji 128x128


def installed_font() -> Path | None:
    return next((p for p in FONT_PATHS if p.is_file()), None)


def png_bytes(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


def center(img: Image.Image, size: int = NOTO_SIZE) -> Image.Image:
    """``img`` centered on a transparent ``size`` x ``size`` canvas; what sticks out is cut."""
    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    canvas.paste(img.convert("RGBA"), ((size - img.width) // 2, (size - img.height) // 2))
    return canvas


def fit(img: Image.Image, size: int = NOTO_SIZE) -> Image.Image:
    """Scale the longest side to ``size`` (LANCZOS) and center: a flag of any proportions gets
    the geometry of Noto's emoji PNGs."""
    img = img.convert("RGBA")
    scale = size / max(img.size)
    width, height = (max(1, round(side * scale)) for side in img.size)
    return center(img.resize((width, height), Image.Resampling.LANCZOS), size)


def render_from_font(text: str, font_path: Path) -> bytes:
    """Draw ``text`` with the color font at its bitmap size (136x128) and center it on 128x128,
    the size of Noto's PNGs; the 4 columns cut on each side are transparent."""
    font = ImageFont.truetype(str(font_path), FONT_BITMAP_SIZE)
    left, top, right, bottom = font.getbbox(text)
    canvas = Image.new("RGBA", (right - left, bottom - top), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((-left, -top), text, font=font, embedded_color=True)
    if canvas.getbbox() is None:
        raise StepError(f"the font {font_path} draws nothing for {text!r}")
    return png_bytes(center(canvas))


def from_shipped(code: str) -> tuple[bytes, dict[str, Any]]:
    path = SHIPPED_DIR / noto_file_name(code)
    if not path.is_file():
        raise StepError(f"no shipped PNG {path.name}")
    data = path.read_bytes()
    return data, _record("shipped", data, path=path.name, release=SHIPPED_RELEASE)


def from_download(
    text: str, code: str, *, base_url: str, flags_url: str, timeout: float, retries: int
) -> tuple[bytes, dict[str, Any]]:
    """Noto's 128x128 PNG, or for a flag region-flags' PNG fitted into 128x128."""
    iso = flag_iso(text)
    if iso is None:
        url, probe, setting = noto_url(code, base_url), noto_url(PROBE_CODE, base_url), "base_url"
    else:
        url, probe, setting = flag_url(iso, flags_url), flag_url(PROBE_FLAG, flags_url), "flags_url"
    data, source_url = fetch_noto_png(
        url,
        probe,
        label=f"{text} ({code})",
        setting=f"emoji.{setting}",
        timeout=timeout,
        retries=retries,
    )
    if iso is not None:
        with Image.open(io.BytesIO(data)) as img:
            data = png_bytes(fit(img))
    # a Noto alias (UM.png -> US.png) records the file it links to
    alias = {"linked_to": source_url} if source_url != url else {}
    return data, _record("download", data, url=url, **alias, release=release_tag(url))


def from_font(text: str) -> tuple[bytes, dict[str, Any]]:
    font = installed_font()
    if font is None:
        raise StepError("Noto Color Emoji font not installed")
    data = render_from_font(text, font)
    return data, _record("font", data, path=str(font))


def obtain(
    text: str,
    code: str,
    *,
    sources: list[str],
    base_url: str,
    flags_url: str,
    timeout: float = 10.0,
    retries: int = 3,
) -> tuple[bytes, dict[str, Any]]:
    """Try ``sources`` in order; return the first PNG and where it came from."""
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise StepError(f"unknown emoji source {unknown[0]!r}; valid: {', '.join(SOURCES)}")
    failures = []
    for source in sources:
        try:
            if source == "shipped":
                return from_shipped(code)
            if source == "download":
                return from_download(
                    text,
                    code,
                    base_url=base_url,
                    flags_url=flags_url,
                    timeout=timeout,
                    retries=retries,
                )
            return from_font(text)
        except StepError as err:
            failures.append(str(err))
    raise StepError(f"no source has emoji {text} ({code}): " + "; ".join(failures))


def _record(source: str, data: bytes, **where: str | None) -> dict[str, Any]:
    return {"source": source, **where, "sha256": hashlib.sha256(data).hexdigest()}
