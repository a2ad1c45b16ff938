"""Step ``build_viewer``: one self-contained HTML page that grows a trained NCA live in the
browser, with its weights and code inline (no network), from the page and script in
``nca_steps/viewer/``."""

from __future__ import annotations

import argparse
import base64
import html
import json
import re
from importlib.resources import files
from pathlib import Path

import numpy as np

from nca_steps import hyperparameters
from nca_steps.cli import load_npy, parser, run_step
from nca_steps.damage import disc_radius
from nca_steps.errors import StepError
from nca_steps.files import write_text
from nca_steps.images import data_uri
from nca_steps.model import checked_params


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.build_viewer", __doc__)
    p.add_argument("--params", required=True, help="flat parameter vector (.npy)")
    p.add_argument("--target", required=True, help="padded target (.npy): the grid's shape")
    p.add_argument("--preview", required=True, help="the target's picture (.png), shown beside")
    p.add_argument("--title", default="NCA", help="the page's title")
    p.add_argument("--html-out", required=True)
    hyperparameters.add_arguments(p, ("channels", "hidden", "fire_rate", "steps"))
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    params = load_npy(args.params, "parameter file", ndim=1).astype("<f4")
    checked_params(params, args.channels, 0.0, args.hidden)
    target = load_npy(args.target, "target file", ndim=3, last=4).astype(np.float32)
    try:
        preview = Path(args.preview).read_bytes()
    except OSError as err:
        raise StepError(f"target picture {args.preview} is not readable ({err})") from err
    page = viewer_page(
        params, target, preview, args.channels, args.hidden, args.fire_rate, args.steps, args.title
    )
    write_text(args.html_out, page)
    print(f"{target.shape[0]}x{target.shape[1]} grid, {params.size} weights -> {args.html_out}")


def viewer_page(
    params: np.ndarray,
    target: np.ndarray,
    preview_png: bytes,
    channels: int,
    hidden: int,
    fire_rate: float,
    steps: int,
    title: str,
) -> str:
    """viewer.html with the config (weights as base64 float32), the title and nca.js filled in."""
    config = {
        "height": target.shape[0],
        "width": target.shape[1],
        "channels": channels,
        "hidden": hidden,
        "fire_rate": fire_rate,
        "training_steps": steps,
        "erase_radius": disc_radius(target),
        "target_png": data_uri(preview_png, "image/png"),
        "params": base64.b64encode(np.asarray(params, "<f4").tobytes()).decode("ascii"),
    }
    viewer = files("nca_steps.viewer")
    fills = {
        "TITLE": html.escape(title),
        # "</" cannot end the JSON's <script> early once escaped
        "CONFIG": json.dumps(config).replace("</", "<\\/"),
        "NCA_JS": viewer.joinpath("nca.js").read_text(encoding="utf-8"),
    }
    # one pass, so that a title holding a placeholder's name is not filled in turn
    return re.sub(
        r"__(TITLE|CONFIG|NCA_JS)__",
        lambda m: fills[m[1]],
        viewer.joinpath("viewer.html").read_text(encoding="utf-8"),
    )


if __name__ == "__main__":
    run_step(main)
