"""Step ``plot_overview``: targets beside grown results; a row per target, two columns per
combination (in the order runs name them): its picture at the training steps, what it grew,
and at the evaluation's horizon, what it holds to; a blank tile where a target has no such run.

Drawn with Pillow as a grid of equal tiles, each picture pasted at its own pixel size (never
resampled), with the names in a margin: every tile is exactly the picture it stands for.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from nca_steps.cli import POSITIVE_INT, parser, run_step
from nca_steps.errors import StepError
from nca_steps.files import atomic_path
from nca_steps.images import read_rgba

GAP = 6  # px between tiles and around the grid
TEXT_HEIGHT = 16  # px of a label line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.plot_overview", __doc__)
    p.add_argument(
        "--target", nargs=2, action="append", required=True, metavar=("NAME", "PREVIEW_PNG"),
        help="a row: the target's name and preview",
    )  # fmt: skip
    p.add_argument(
        "--run", nargs=4, action="append", required=True,
        metavar=("TARGET", "COMBINATION", "GROWN_PNG", "AT_HORIZON_PNG"),
        help="two tiles: a run's picture at the training steps and at the horizon",
    )  # fmt: skip
    p.add_argument(
        "--horizon", type=POSITIVE_INT.parse, required=True,
        help="x the training steps of the second pictures (the evaluation's), for the titles",
    )  # fmt: skip
    p.add_argument("--png-out", required=True)
    return p.parse_args(argv)


@dataclass(frozen=True)
class Grid:
    """Where the tiles go: every column ``width`` px wide, row ``r`` ``heights[r]`` px high (its
    largest picture), after ``margin`` (left, top) px of names and titles."""

    width: int
    heights: tuple[int, ...]
    margin: tuple[int, int]


def tile_origin(row: int, col: int, grid: Grid) -> tuple[int, int]:
    """Top-left pixel of tile (``row``, ``col``); column 0 is the target, then one per run.
    One past the last row and column gives the canvas size."""
    x = grid.margin[0] + col * (grid.width + GAP)
    return x, grid.margin[1] + sum(grid.heights[:row]) + row * GAP


def layout(targets: list[str], titles: list[str], rows: list[list[Image.Image]]) -> Grid:
    """The grid of ``rows`` of pictures (a row per target): columns as wide as the widest
    picture or title, each row as high as its highest picture."""
    font = ImageFont.load_default()
    text = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    pictures = [p for row in rows for p in row]
    width = max([p.width for p in pictures] + [int(text.textlength(t, font)) for t in titles])
    heights = tuple(max(max(p.height for p in row), TEXT_HEIGHT) for row in rows)
    left = GAP + max(int(text.textlength(t, font)) for t in targets) + GAP
    return Grid(width, heights, (left, GAP + TEXT_HEIGHT))


def columns(runs: list[list[str]]) -> list[str]:
    """The combinations of ``runs`` (target, combination, pictures...), each once, as first
    named."""
    return list(dict.fromkeys(run[1] for run in runs))


def titles(combinations: list[str], horizon: int) -> list[str]:
    """The column titles: the targets', then each combination's two (steps, horizon)."""
    return ["target", *(t for c in combinations for t in (c, f"{c} at {horizon}x"))]


def overview(targets: list[list[str]], runs: list[list[str]], horizon: int) -> Image.Image:
    """The grid of ``targets`` (name, preview) by the combinations of ``runs`` (target,
    combination, picture at the steps, picture at ``horizon`` x the steps); raises StepError
    for a run of a target that has no row, or a run given twice."""
    names = [name for name, _ in targets]
    grown: dict[tuple[str, str], list[str]] = {}
    for target, combination, *pictures in runs:
        if target not in names:
            raise StepError(f"run {target} / {combination} has no target row; "
                            f"targets: {', '.join(names)}")  # fmt: skip
        if (target, combination) in grown:
            raise StepError(f"run {target} / {combination} is given twice")
        grown[target, combination] = pictures
    combinations = columns(runs)
    blank = Image.new("RGBA", (1, 1))
    rows = []
    for name, preview in targets:
        row = [read_rgba(preview, "preview")]
        for c in combinations:
            paths = grown.get((name, c))
            row += [read_rgba(path, "grown picture") for path in paths] if paths else [blank] * 2
        rows.append(row)
    heads = titles(combinations, horizon)
    grid = layout(names, heads, rows)
    right, bottom = tile_origin(len(names), len(heads), grid)
    canvas = Image.new("RGB", (right, bottom), "white")
    draw, font = ImageDraw.Draw(canvas), ImageFont.load_default()
    for c, title in enumerate(heads):
        x, _ = tile_origin(0, c, grid)
        draw.text((x, GAP), title, fill="black", font=font)
    for r, (name, pictures) in enumerate(zip(names, rows, strict=True)):
        _, y = tile_origin(r, 0, grid)
        draw.text((GAP, y + (grid.heights[r] - TEXT_HEIGHT) // 2), name, fill="black", font=font)
        for c, picture in enumerate(pictures):
            canvas.paste(picture, tile_origin(r, c, grid), picture)
    return canvas


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    canvas = overview(args.target, args.run, args.horizon)
    with atomic_path(args.png_out) as tmp:
        canvas.save(tmp, "PNG")
    print(f"{len(args.target)} targets x {len(columns(args.run))} combinations -> {args.png_out}")


if __name__ == "__main__":
    run_step(main)
