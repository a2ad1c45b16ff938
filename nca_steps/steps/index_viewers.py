"""Step ``index_viewers``: ``results/viewer.html``, a page linking every run's live viewer with
its target's picture beside it (inline, so the page can be moved with the results folder)."""

from __future__ import annotations

import argparse
import html
import os
from pathlib import Path
from urllib.parse import quote

from nca_steps.cli import parser, run_step
from nca_steps.errors import StepError
from nca_steps.files import write_text
from nca_steps.images import data_uri


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.index_viewers", __doc__)
    p.add_argument(
        "--run",
        nargs=5,
        action="append",
        required=True,
        metavar=("TARGET", "COMBINATION", "SEED", "VIEWER_HTML", "PREVIEW_PNG"),
    )
    p.add_argument("--html-out", required=True)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    for *_, viewer, preview in args.run:
        for path in (viewer, preview):
            if not Path(path).is_file():
                raise StepError(f"{path} does not exist; build the run's viewer and target first")
    page = index_page(args.run, Path(args.html_out).parent)
    write_text(args.html_out, page)
    print(f"{len(args.run)} viewers -> {args.html_out}")


def index_page(runs: list[list[str]], folder: Path) -> str:
    """A table with a row per run: the target's picture, its name, the combination, the seed
    and a link (relative to ``folder``, so it works from file://) to its viewer."""
    rows = []
    for target, combination, seed, viewer, preview in runs:
        picture = data_uri(Path(preview).read_bytes(), "image/png")
        link = quote(Path(os.path.relpath(viewer, folder)).as_posix())
        name = html.escape(f"{target} / {combination} / seed {seed}")
        rows.append(
            f'<tr><td><img alt="{html.escape(target)}" src="{picture}">'
            f"</td><td>{html.escape(target)}</td><td>{html.escape(combination)}</td>"
            f'<td>{html.escape(seed)}</td><td><a href="{html.escape(link)}">{name}</a></td></tr>'
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>nca-steps: live viewers</title><style>"
        "body{font-family:sans-serif;margin:12px}td,th{padding:4px 10px;text-align:left}"
        "img{image-rendering:pixelated;height:64px}</style></head><body>"
        "<h1>Live viewers</h1><p>Each link opens a trained NCA growing in this browser: "
        "drag over it to erase cells and watch it regrow.</p><table><tr><th>target</th><th>"
        "</th><th>combination</th><th>seed</th><th>viewer</th></tr>\n"
        + "\n".join(rows)
        + "\n</table></body></html>\n"
    )


if __name__ == "__main__":
    run_step(main)
