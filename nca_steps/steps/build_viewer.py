"""Step ``build_viewer``: one self-contained HTML page that grows a trained NCA live in the
browser, with its weights and code inline (no network), from the page and script in
``nca_steps/viewer/``."""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import re
from importlib.resources import files

import numpy as np
from PIL import Image

from nca_steps import hyperparameters
from nca_steps.cli import load_npy, parser, run_step
from nca_steps.damage import disc_radius
from nca_steps.files import atomic_path
from nca_steps.images import to_rgb, to_uint8
from nca_steps.model import checked_params

TARGET_ZOOM = 4


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.build_viewer", __doc__)
    p.add_argument("--params", required=True, help="flat parameter vector (.npy)")
    p.add_argument("--target", required=True, help="padded target (.npy): the grid's shape")
    p.add_argument("--title", default="NCA", help="the page's title")
    p.add_argument("--html-out", required=True)
    hyperparameters.add_arguments(p, ("channels", "fire_rate", "steps"))
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    params = load_npy(args.params, "parameter file", ndim=1).astype("<f4")
    checked_params(params, args.channels, 0.0)
    target = load_npy(args.target, "target file", ndim=3, last=4).astype(np.float32)
    page = viewer_page(params, target, args.channels, args.fire_rate, args.steps, args.title)
    with atomic_path(args.html_out) as tmp:
        tmp.write_text(page, encoding="utf-8")
    print(f"{target.shape[0]}x{target.shape[1]} grid, {params.size} weights -> {args.html_out}")


def png_data_uri(rgba: np.ndarray, zoom: int) -> str:
    """A premultiplied RGBA picture on white, as an inline PNG."""
    buffer = io.BytesIO()
    Image.fromarray(to_uint8(to_rgb(rgba), zoom)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def viewer_page(
    params: np.ndarray, target: np.ndarray, channels: int, fire_rate: float, steps: int, title: str
) -> str:
    """viewer.html with the config (weights as base64 float32), the title and nca.js filled in."""
    config = {
        "height": target.shape[0],
        "width": target.shape[1],
        "channels": channels,
        "fire_rate": fire_rate,
        "training_steps": steps,
        "erase_radius": disc_radius(target),
        "target_png": png_data_uri(target, TARGET_ZOOM),
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
