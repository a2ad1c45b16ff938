"""Steps per second of the live viewer (viewer.html) in headless Chromium, on the notebook's
40-px lizard (a 48 x 48 grid) and on a 128 x 128 grid.

Two cases per grid: ``growth`` grows a trained model from the seed for twice its training steps
(only cells in the living mask run the MLP, so this depends on the model), and ``full`` first
fills every channel of every cell with a random number in [0.2, 1), so every cell runs
it with no zero input to skip: the worst case, whatever the weights.
Each figure is the median of ``--repeats`` timed runs of ``window.nca.step(n)``, at the fire
rate the viewer starts with (the training one) and at 1.

    python benchmarks/viewer_speed.py                  # random weights: only `full` is meaningful
    python benchmarks/viewer_speed.py --params results/runs/lizard/growing/seed1/params.npy
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import numpy as np
from settings import NOTEBOOK_CONFIG, run_settings

from nca_steps.emoji_sources import SHIPPED_DIR
from nca_steps.images import prepare_target, preview_png, read_rgba
from nca_steps.model import param_count
from nca_steps.steps.build_viewer import viewer_page
from nca_steps.viewer.chromium import headless_chromium

NOTEBOOK = run_settings(NOTEBOOK_CONFIG)
HP = NOTEBOOK["hyperparameters"]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--params", help="a trained 40-px vector (.npy); default: random weights")
    p.add_argument("--sizes", type=int, nargs="+", default=[0, 128], help="0: the training grid")
    p.add_argument("--repeats", type=int, default=5)
    return p.parse_args()


# every channel of every cell uniform in [0.2, 1): all cells alive, no gradient zero
FILL = (
    "const s = window.nca.model.state;"
    "for (let i = 0; i < s.length; i++) s[i] = 0.2 + 0.8 * Math.random();"
)
# the share of cells in the living mask of the last step
ALIVE = "const m = window.nca.model.preAlive; return m.reduce((a, b) => a + b, 0) / m.length"


def median_rate(driver, steps: int, repeats: int, prepare: str) -> float:
    """Median steps per second of ``steps`` steps, each run after the JavaScript ``prepare``."""
    rates = []
    for _ in range(repeats):
        driver.execute_script(prepare)
        seconds = driver.execute_script(f"return window.nca.step({steps})")
        rates.append(steps / seconds)
    return statistics.median(rates)


def main() -> None:
    args = parse_args()
    target = prepare_target(
        read_rgba(SHIPPED_DIR / "emoji_u1f98e.png"),
        NOTEBOOK["target_size"],
        NOTEBOOK["target_padding"],
    )
    if args.params:
        params = np.load(args.params).astype(np.float32)
    else:
        params = np.random.default_rng(0).normal(0, 0.05, param_count(HP["channels"], HP["hidden"]))
    page = viewer_page(
        params, target, preview_png(target, 4), HP["channels"], HP["hidden"], HP["fire_rate"],
        HP["steps"], "benchmark",
    )  # fmt: skip
    growth_steps = 2 * HP["steps"]
    with tempfile.TemporaryDirectory() as folder:
        viewer = Path(folder) / "viewer.html"
        viewer.write_text(page, encoding="utf-8")
        driver = headless_chromium()
        try:
            version = driver.capabilities["browserVersion"]
            print(f"viewer of {args.params or 'random weights'}, Chromium {version}")
            print(f"{'grid':>9} {'fire rate':>9} {'growth steps/s':>15} {'full steps/s':>13} alive")
            for size in args.sizes:
                for fire in (HP["fire_rate"], 1.0):
                    driver.get(f"{viewer.as_uri()}?paused&fire={fire}&size={size or ''}")
                    side = driver.execute_script("return window.nca.shape()")[:2]
                    growth = median_rate(driver, growth_steps, args.repeats, "window.nca.reset()")
                    full = median_rate(driver, 5, args.repeats, FILL)
                    alive = driver.execute_script(ALIVE)
                    grid = f"{side[0]}x{side[1]}"
                    print(f"{grid:>9} {fire:>9.2f} {growth:>15.1f} {full:>13.1f} {alive:>5.0%}")
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
