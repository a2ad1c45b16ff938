"""Step ``render_gif``: a rollout's frames as a zoomed GIF, composited on white; optionally the
same GIF in a self-contained HTML page, which Snakemake's report shows (it offers a GIF only
as a download)."""

from __future__ import annotations

import argparse
import html

import imageio.v3 as iio
import numpy as np

from nca_steps.cli import Range, load_npz, parser, run_step
from nca_steps.errors import StepError
from nca_steps.files import write_bytes, write_text
from nca_steps.images import data_uri, to_rgb, to_uint8

ZOOMS = Range(int, minimum=1, maximum=32)
# A GIF's frame delay counts in hundredths of a second, and browsers show delays under 20 ms
# as 100 ms: past 50 frames a second a GIF plays slower, not faster.
FRAME_RATES = Range(float, above=0, maximum=50)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.render_gif", __doc__)
    p.add_argument("--frames", required=True, help=".npz from the evaluate step")
    p.add_argument("--gif-out", required=True)
    p.add_argument("--html-out", help="also write a page showing the GIF (for the report)")
    p.add_argument("--title", default="", help="the page's title")
    p.add_argument("--zoom", type=ZOOMS.parse, default=4, help="pixels per cell")
    p.add_argument("--fps", type=FRAME_RATES.parse, default=20.0, help="frames per second")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    rgba = load_npz(args.frames, "frames file", "rgba").astype(np.float32)
    if rgba.ndim != 4 or rgba.shape[-1] != 4:
        raise StepError(f"frames file {args.frames} holds shape {rgba.shape}; need (T, H, W, 4)")
    frames = to_uint8(to_rgb(rgba), args.zoom)
    gif = iio.imwrite("<bytes>", frames, extension=".gif", duration=1000.0 / args.fps, loop=0)
    write_bytes(args.gif_out, gif)
    if args.html_out:
        write_text(args.html_out, gif_page(gif, args.title))
    print(f"{len(frames)} frames -> {args.gif_out}")


def gif_page(gif: bytes, title: str) -> str:
    """A page with nothing but the GIF (inline, as a data URI) and its title."""
    name = html.escape(title)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{name}</title>'
        '</head>\n<body style="margin:0;font-family:sans-serif">'
        f'<p style="margin:4px">{name}</p><img alt="{name}" '
        f'style="image-rendering:pixelated" src="{data_uri(gif, "image/gif")}">'
        "</body></html>\n"
    )


if __name__ == "__main__":
    run_step(main)
