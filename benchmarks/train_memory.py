"""Peak resident memory of one training job, after N and after 4N generations.

Equal peaks show that nothing grows with the number of generations.

    python benchmarks/train_memory.py --preset default    # config.yaml's settings
    python benchmarks/train_memory.py --preset notebook   # 40 px, population 128, 90 steps
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PRESETS = {"default": ROOT / "config.yaml", "notebook": ROOT / "workflow/configs/notebook.yaml"}


def peak_rss_mb(cmd: list[str]) -> float:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(proc.stderr.read().decode())
    return usage.ru_maxrss / 1024


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--preset", choices=PRESETS, default="default")
    p.add_argument("--generations", type=int, default=None, help="N (default: 100, notebook 5)")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    config = yaml.safe_load(PRESETS[args.preset].read_text())
    n = args.generations or (5 if args.preset == "notebook" else 100)
    tmp = Path(tempfile.mkdtemp(prefix="nca-memory-"))
    size, padding = config.get("target_size", 40), config.get("target_padding", 4)
    subprocess.run(
        [
            sys.executable, "-m", "nca_steps.prepare_target",
            "--image", str(ROOT / "nca_steps/emoji_png/emoji_u1f98e.png"), "--size", str(size),
            "--padding", str(padding), "--target-out", str(tmp / "t.npy"),
            "--preview-out", str(tmp / "t.png"),
        ],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    hp = dict(config["hyperparameters"])
    hp.pop("algorithm", None)
    for generations in (n, 4 * n):
        hp["generations"] = generations
        cmd = [
            sys.executable, "-m", "nca_steps.train", "--target", str(tmp / "t.npy"),
            "--params-out", str(tmp / "p.npy"), "--metrics-out", str(tmp / "m.csv"),
            "--checkpoint", str(tmp / "c.npz"), "--threads", str(args.threads),
            *(f"--{k.replace('_', '-')}={v}" for k, v in sorted(hp.items())),
        ]  # fmt: skip
        print(
            f"{args.preset}: {generations:6d} generations, peak RSS {peak_rss_mb(cmd):7.1f} MB",
            flush=True,
        )


if __name__ == "__main__":
    main()
