"""Where an emoji's PNG comes from: Noto's PNGs shipped with the package, the Noto download, or
the Noto Color Emoji font when it is installed. Each source returns PNG bytes and a record of
itself."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from nca_steps.download import fetch_noto_png
from nca_steps.emoji import PROBE_CODE, noto_file_name, noto_url, release_tag
from nca_steps.errors import StepError

SHIPPED_DIR = Path(__file__).parent / "emoji_png"
SHIPPED_RELEASE = "v2.047"  # the Noto tag SHIPPED_DIR's PNGs were copied from (see its NOTICE)
FONT_PATHS = (
    Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),
    Path("/usr/share/fonts/noto/NotoColorEmoji.ttf"),
    Path("/Library/Fonts/NotoColorEmoji.ttf"),
)
SOURCES = ("shipped", "download", "font")
FONT_BITMAP_SIZE = 109  # the one size Noto Color Emoji's bitmaps come in


def installed_font() -> Path | None:
    return next((p for p in FONT_PATHS if p.is_file()), None)


def render_from_font(text: str, font_path: Path) -> bytes:
    """Draw ``text`` with the color font at its bitmap size: a 136x128 PNG, as Noto's are."""
    font = ImageFont.truetype(str(font_path), FONT_BITMAP_SIZE)
    left, top, right, bottom = font.getbbox(text)
    canvas = Image.new("RGBA", (right - left, bottom - top), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((-left, -top), text, font=font, embedded_color=True)
    if canvas.getbbox() is None:
        raise StepError(f"the font {font_path} draws nothing for {text!r}")
    out = io.BytesIO()
    canvas.save(out, "PNG", optimize=True)
    return out.getvalue()


def obtain(
    text: str,
    code: str,
    *,
    sources: list[str],
    base_url: str,
    timeout: float = 10.0,
    retries: int = 3,
) -> tuple[bytes, dict[str, Any]]:
    """Try ``sources`` in order; return the first PNG and where it came from."""
    label = f"{text} ({code})"
    failures = []
    for source in sources:
        if source == "shipped":
            path = SHIPPED_DIR / noto_file_name(code)
            if path.is_file():
                data = path.read_bytes()
                return data, _record(source, data, path=path.name, release=SHIPPED_RELEASE)
            failures.append(f"no shipped PNG {path.name}")
        elif source == "download":
            url = noto_url(code, base_url)
            try:
                data = fetch_noto_png(
                    url,
                    noto_url(PROBE_CODE, base_url),
                    label=label,
                    setting="emoji.base_url",
                    timeout=timeout,
                    retries=retries,
                )
            except StepError as err:
                failures.append(str(err))
                continue
            return data, _record(source, data, url=url, release=release_tag(url))
        elif source == "font":
            font = installed_font()
            if font is None:
                failures.append("Noto Color Emoji font not installed")
                continue
            data = render_from_font(text, font)
            return data, _record(source, data, path=str(font))
        else:
            raise StepError(f"unknown emoji source {source!r}; valid: {', '.join(SOURCES)}")
    raise StepError(f"no source has emoji {label}: " + "; ".join(failures))


def _record(source: str, data: bytes, **where: str | None) -> dict[str, Any]:
    return {"source": source, **where, "sha256": hashlib.sha256(data).hexdigest()}
