"""Step ``plot_overview``: targets beside grown results; a row per target, a column per run.

Drawn with Pillow as a grid of equal tiles, each picture pasted at its own pixel size (never
resampled), with the names in a margin: every tile is exactly the picture it stands for.
"""

from __future__ import annotations

import argparse

from PIL import Image, ImageDraw, ImageFont

from nca_steps.cli import parser, run_step
from nca_steps.errors import StepError
from nca_steps.files import atomic_path
from nca_steps.images import read_rgba

GAP = 6  # px between tiles and around the grid
TEXT_HEIGHT = 16  # px of a label line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.plot_overview", __doc__)
    p.add_argument("--targets", nargs="+", required=True, help="target names, one per row")
    p.add_argument("--combinations", nargs="+", required=True, help="one per column")
    p.add_argument("--previews", nargs="+", required=True, help="target preview PNGs, by row")
    p.add_argument("--grown", nargs="+", required=True, help="grown PNGs, row by row")
    p.add_argument("--png-out", required=True)
    return p.parse_args(argv)


def tile_origin(row: int, col: int, tile: tuple[int, int], margin: tuple[int, int]):
    """Top-left pixel of tile (``row``, ``col``); column 0 is the target, then one per run."""
    return margin[0] + col * (tile[0] + GAP), margin[1] + row * (tile[1] + GAP)


def layout(
    targets: list[str], titles: list[str], pictures: list[Image.Image]
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Tile size (the largest picture, wide enough for its column title) and the margins."""
    font = ImageFont.load_default()
    text = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    width = max([p.width for p in pictures] + [int(text.textlength(t, font)) for t in titles])
    height = max(p.height for p in pictures)
    left = GAP + max(int(text.textlength(t, font)) for t in targets) + GAP
    return (width, height), (left, GAP + TEXT_HEIGHT)


def overview(targets: list[str], combinations: list[str], previews: list[str], grown: list[str]):
    cols = len(combinations)
    if len(previews) != len(targets) or len(grown) != len(targets) * cols:
        raise StepError(
            f"got {len(previews)} previews and {len(grown)} grown pictures; {len(targets)} "
            f"targets x {cols} combinations need {len(targets)} and {len(targets) * cols}"
        )
    rows = [
        [read_rgba(previews[r], "preview")]
        + [read_rgba(path, "grown picture") for path in grown[r * cols : (r + 1) * cols]]
        for r in range(len(targets))
    ]
    titles = ["target", *combinations]
    tile, margin = layout(targets, titles, [p for row in rows for p in row])
    right, bottom = tile_origin(len(targets), len(titles), tile, margin)
    canvas = Image.new("RGB", (right, bottom), "white")
    draw, font = ImageDraw.Draw(canvas), ImageFont.load_default()
    for c, title in enumerate(titles):
        x, _ = tile_origin(0, c, tile, margin)
        draw.text((x, GAP), title, fill="black", font=font)
    for r, (name, pictures) in enumerate(zip(targets, rows, strict=True)):
        _, y = tile_origin(r, 0, tile, margin)
        draw.text((GAP, y + (tile[1] - TEXT_HEIGHT) // 2), name, fill="black", font=font)
        for c, picture in enumerate(pictures):
            canvas.paste(picture, tile_origin(r, c, tile, margin), picture)
    return canvas


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    canvas = overview(args.targets, args.combinations, args.previews, args.grown)
    with atomic_path(args.png_out) as tmp:
        canvas.save(tmp, "PNG")
    print(f"{len(args.targets)} x {len(args.combinations)} runs -> {args.png_out}")


if __name__ == "__main__":
    run_step(main)
