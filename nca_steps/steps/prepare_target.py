"""Step ``prepare_target``: image -> the padded premultiplied RGBA array training grows towards.

Also writes a preview PNG (composited on white) to check what the NCA will be asked to draw, and
a sidecar JSON saying what was read: the picture's size as shown, its mode and EXIF orientation,
the grid, and a warning where the picture is smaller than ``--size`` (thumbnails never enlarge,
as in the notebook, so such a picture gives a smaller grid).
"""

from __future__ import annotations

import argparse
import sys

from nca_steps.cli import POSITIVE_INT, Range, parser, run_step
from nca_steps.errors import StepError
from nca_steps.files import write_bytes, write_json, write_npy
from nca_steps.images import prepare_target, preview_png, read_rgba

SIZES = Range(int, minimum=3, maximum=1024)  # a 3x3 neighbourhood at least
PADDINGS = Range(int, minimum=0, maximum=256)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.prepare_target", __doc__)
    p.add_argument(
        "--image", required=True, help="a still picture (PNG, JPEG, TIFF...), alpha or not"
    )
    p.add_argument(
        "--size", type=SIZES.parse, default=20, help="longest side after thumbnailing (px)"
    )
    p.add_argument(
        "--padding", type=PADDINGS.parse, default=4, help="empty border on every side (px)"
    )
    p.add_argument("--target-out", required=True, help=".npy, (H, W, 4) float32")
    p.add_argument("--preview-out", required=True, help=".png")
    p.add_argument("--info-out", required=True, help=".json, what was read (sidecar)")
    p.add_argument("--preview-zoom", type=POSITIVE_INT.parse, default=4)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    img = read_rgba(args.image)
    target = prepare_target(img, args.size, args.padding)
    if target[..., 3].max() <= 0.1:
        raise StepError(f"target image {args.image} is fully transparent; nothing to grow")
    width, height = img.size
    warnings = []
    if max(width, height) < args.size:
        warnings.append(
            f"picture {args.image} is {width}x{height}, smaller than size {args.size}: it is "
            f"used as it is (never enlarged); give one at least {args.size} px on its longest side "
            "for a target of that size"
        )
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    write_npy(args.target_out, target)
    write_bytes(args.preview_out, preview_png(target, args.preview_zoom))
    write_json(
        args.info_out,
        {
            "image": str(args.image),
            "size": [width, height],
            "mode": img.info["mode"],
            "exif_orientation": img.info["orientation"],
            "color_profile": img.info["color_profile"],
            "grid": [target.shape[1], target.shape[0]],
            "warnings": warnings,
        },
    )
    print(f"{args.image} -> {target.shape[1]}x{target.shape[0]} grid")


if __name__ == "__main__":
    run_step(main)
