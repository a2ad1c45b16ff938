"""The docs' picture of the viewer (docs/viewer.png): a run's viewer.html in headless
Chromium, grown from the seed for ``--steps`` steps at its training fire rate, optionally with
a stroke of the eraser dragged across it after ``--erase-at`` of those steps.

    python docs/viewer_screenshot.py results/runs/lizard/growing/seed1/viewer.html --steps 24
"""

from __future__ import annotations

import argparse
from pathlib import Path

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from nca_steps.viewer.chromium import headless_chromium

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("viewer", type=Path)
    p.add_argument("--steps", type=int, default=24, help="steps grown before the picture")
    p.add_argument("--erase-at", type=int, help="drag the eraser across after this many steps")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "viewer.png")
    args = p.parse_args()
    driver = headless_chromium(1100, 720)
    try:
        driver.get(f"{args.viewer.resolve().as_uri()}?paused")
        first = args.steps if args.erase_at is None else args.erase_at
        driver.execute_script(f"window.nca.step({first})")
        if args.erase_at is not None:
            canvas = driver.find_element(By.ID, "grid")
            side = canvas.size["width"]
            # a short stroke across the upper middle of the grid
            ActionChains(driver).move_to_element_with_offset(canvas, -side // 12, -side // 8) \
                .click_and_hold().move_to_element_with_offset(canvas, side // 12, -side // 8) \
                .release().perform()  # fmt: skip
            driver.execute_script(f"window.nca.step({args.steps - first})")
        driver.save_screenshot(str(args.out))
    finally:
        driver.quit()
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
