"""The settings the benchmarks run: a config file's first run with every default filled in,
read from the one definition of each (nca_steps/hyperparameters.py, the config schema)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from nca_steps.hyperparameters import DEFAULTS

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_CONFIG = ROOT / "config.yaml"
NOTEBOOK_CONFIG = ROOT / "workflow/configs/notebook.yaml"
SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())["properties"]


def run_settings(config_file: str | Path = SHIPPED_CONFIG) -> dict[str, Any]:
    """Target name and size, padding, training threads and hyperparameters of the first
    (target, combination, seed) of ``config_file``, as the workflow would run it."""
    config = yaml.safe_load(Path(config_file).read_text())
    combinations = config.get("combinations") or SCHEMA["combinations"]["default"]
    combination = next(iter(combinations))
    threads = SCHEMA["training"]["properties"]["threads"]["default"]
    return {
        "target": next(iter(config["targets"])),
        "combination": combination,
        "target_size": config.get("target_size", SCHEMA["target_size"]["default"]),
        "target_padding": config.get("target_padding", SCHEMA["target_padding"]["default"]),
        "threads": config.get("training", {}).get("threads", threads),
        "hyperparameters": {
            **DEFAULTS,
            **(config.get("hyperparameters") or {}),
            **(combinations[combination] or {}),
            "seed": (config.get("seeds") or [DEFAULTS["seed"]])[0],
        },
    }


def prepare_lizard(folder: Path, run: dict[str, Any]) -> Path:
    """The shipped lizard PNG prepared at ``run``'s size and padding: ``folder/target.npy``."""
    subprocess.run(
        [
            sys.executable, "-m", "nca_steps.steps.prepare_target",
            "--image", str(ROOT / "nca_steps/emoji_png/emoji_u1f98e.png"),
            "--size", str(run["target_size"]), "--padding", str(run["target_padding"]),
            "--target-out", str(folder / "target.npy"), "--preview-out", str(folder / "t.png"),
            "--info-out", str(folder / "target.json"),
        ],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return folder / "target.npy"


def train_command(target: Path, out: Path, hp: dict[str, Any], *extra: str) -> list[str]:
    """The train step on ``target`` with hyperparameters ``hp``, its files named ``out.*``."""
    return [
        sys.executable, "-m", "nca_steps.steps.train", "--target", str(target),
        "--params-out", f"{out}.npy", "--metrics-out", f"{out}.csv",
        "--checkpoint", f"{out}.ckpt.npz", *extra,
        *(f"--{k.replace('_', '-')}={v}" for k, v in sorted(hp.items())),
    ]  # fmt: skip
