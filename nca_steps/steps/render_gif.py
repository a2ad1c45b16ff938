"""Step ``render_gif``: a rollout's frames as a zoomed GIF, composited on white."""

from __future__ import annotations

import argparse

import imageio.v3 as iio
import numpy as np

from nca_steps.cli import POSITIVE_INT, POSITIVE_NUMBER, load_npz, parser, run_step
from nca_steps.errors import StepError
from nca_steps.files import atomic_path
from nca_steps.images import to_rgb, to_uint8


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.render_gif", __doc__)
    p.add_argument("--frames", required=True, help=".npz from the evaluate step")
    p.add_argument("--gif-out", required=True)
    p.add_argument("--zoom", type=POSITIVE_INT.parse, default=4)
    p.add_argument("--fps", type=POSITIVE_NUMBER.parse, default=20.0)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    rgba = load_npz(args.frames, "frames file", "rgba").astype(np.float32)
    if rgba.ndim != 4 or rgba.shape[-1] != 4:
        raise StepError(f"frames file {args.frames} holds shape {rgba.shape}; need (T, H, W, 4)")
    frames = to_uint8(to_rgb(rgba), args.zoom)
    with atomic_path(args.gif_out) as tmp:
        iio.imwrite(tmp, frames, extension=".gif", duration=1000.0 / args.fps, loop=0)
    print(f"{len(frames)} frames -> {args.gif_out}")


if __name__ == "__main__":
    run_step(main)
