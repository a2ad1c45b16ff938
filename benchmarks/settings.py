"""The settings the benchmarks run: a config file's first run with every default filled in,
read from the one definition of each (nca_steps/hyperparameters.py, the config schema)."""

from __future__ import annotations

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
