"""Every step refuses bad input with one ``error:`` line, exit status 1 and no output file."""

from __future__ import annotations

import argparse
import importlib
import json

import numpy as np
import pytest

from nca_steps.cli import POSITIVE_INT, Range, StepParser, run_step
from nca_steps.metrics import write_imported_metrics, write_metrics
from tests.conftest import run_module

TRAIN = ["--params-out", "p.npy", "--metrics-out", "m.csv", "--checkpoint", "c.npz"]
PREPARE = [
    "--image", "x.png", "--target-out", "p.npy", "--preview-out", "o.png", "--info-out", "o.json",
]  # fmt: skip
EVALUATE = [
    "--metrics-out", "e.json", "--frames-out", "f.npz", "--damage-frames-out", "d.npz",
    "--grown-out", "g.png", "--at-horizon-out", "h.png",
]  # fmt: skip
OUTPUTS = {
    "p.npy",
    "m.csv",
    "c.npz",
    "e.json",
    "f.npz",
    "d.npz",
    "g.png",
    "h.png",
    "o.gif",
    "o.png",
    "o.json",
    "o.csv",
}


@pytest.fixture
def inputs(tmp_path, tiny_target):
    """Valid inputs of every step, and a few broken files, in the test's folder."""
    np.save(tmp_path / "target.npy", tiny_target)
    np.save(tmp_path / "params.npy", np.zeros(8336, np.float32))
    np.savez(tmp_path / "frames.npz", rgba=np.zeros((3, 10, 12, 4), np.float16))
    write_metrics(tmp_path / "metrics.csv", [(0, 1.0, 1.0, 1.0, 0.1, 0.5)])
    write_imported_metrics(tmp_path / "imported.csv", "https://example.org/ex1.json")
    (tmp_path / "evaluation.json").write_text(json.dumps({"loss": 1.0}))
    (tmp_path / "model.json").write_text("[]")
    (tmp_path / "garbage.npy").write_bytes(b"not an array")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    return tmp_path


CASES = [
    # train: ranges, the steps/loss_every pair, the target file
    (
        "train", ["--target", "target.npy", *TRAIN, "--pop-size", "7"],
        "argument --pop-size: '7' is invalid; use an even integer in [2, 4096]",
    ),
    (
        "train", ["--target", "target.npy", *TRAIN, "--steps", "10", "--loss-every", "4"],
        "steps 10 is not a multiple of loss_every 4",
    ),
    (
        "train", ["--target", "target.npy", *TRAIN, "--lr", "0"],
        "argument --lr: '0' is invalid; use a number in (0, 10]",
    ),
    (
        "train", ["--target", "target.npy", *TRAIN, "--lr", "nan"],
        "argument --lr: 'nan' is invalid; use a number in (0, 10]",
    ),
    (
        "train", ["--target", "target.npy", *TRAIN, "--fire-rate", "1.5"],
        "argument --fire-rate: '1.5' is invalid; use a number in (0, 1]",
    ),
    (
        "train", ["--target", "target.npy", *TRAIN, "--generations", "ten"],
        "argument --generations: 'ten' is invalid; use an integer >= 1",
    ),
    (
        "train", ["--target", "target.npy", *TRAIN, "--channels", "3"],
        "argument --channels: '3' is invalid; use an integer in [4, 256]",
    ),
    (
        "train", ["--target", "target.npy", *TRAIN, "--checkpoint-every", "0"],
        "argument --checkpoint-every: '0' is invalid; use an integer >= 1",
    ),
    (
        "train", ["--target", "target.npy", *TRAIN, "--algorithm", "cma"],
        "argument --algorithm: invalid choice: 'cma'",
    ),
    ("train", ["--target", "nope.npy", *TRAIN], "target nope.npy does not exist"),
    ("train", ["--target", "garbage.npy", *TRAIN], "target garbage.npy is not a readable .npy"),
    (
        "train", ["--target", "params.npy", *TRAIN],
        "target params.npy has shape (8336,); it needs 3 dimensions, the last of size 4",
    ),
    ("train", TRAIN, "the following arguments are required: --target"),
    # evaluate
    (
        "evaluate", ["--params", "params.npy", "--target", "target.npy", *EVALUATE,
                     "--steps", "10", "--loss-every", "4"],
        "steps 10 is not a multiple of loss_every 4",
    ),
    (
        "evaluate", ["--params", "params.npy", "--target", "target.npy", *EVALUATE,
                     "--rollouts", "0"],
        "argument --rollouts: '0' is invalid; use an integer in [1, 1024]",
    ),
    (
        "evaluate", ["--params", "nope.npy", "--target", "target.npy", *EVALUATE],
        "parameter vector nope.npy does not exist",
    ),
    (
        "evaluate", ["--params", "target.npy", "--target", "target.npy", *EVALUATE],
        "parameter vector target.npy has shape (10, 12, 4); it needs 1 dimensions",
    ),
    # prepare_target
    (
        "prepare_target", [*PREPARE, "--size", "2"],
        "argument --size: '2' is invalid; use an integer in [3, 1024]",
    ),
    (
        "prepare_target", [*PREPARE, "--padding", "-1"],
        "argument --padding: '-1' is invalid; use an integer in [0, 256]",
    ),
    # render_gif
    ("render_gif", ["--frames", "nope.npz", "--gif-out", "o.gif"], "nope.npz does not exist"),
    (
        "render_gif", ["--frames", "garbage.npy", "--gif-out", "o.gif"],
        "frames file garbage.npy is not a readable .npz file",
    ),
    (
        "render_gif", ["--frames", "frames.npz", "--gif-out", "o.gif", "--fps", "0"],
        "argument --fps: '0' is invalid; use a number in (0, 50]",
    ),
    (
        "render_gif", ["--frames", "frames.npz", "--gif-out", "o.gif", "--zoom", "0"],
        "argument --zoom: '0' is invalid; use an integer in [1, 32]",
    ),
    # plot_curve, plot_evaluation, summarize, plot_overview
    ("plot_curve", ["--metrics", "nope.csv", "--png-out", "o.png"], "metrics nope.csv does not"),
    ("plot_curve", ["--metrics", ".", "--png-out", "o.png"], "metrics . cannot be read"),
    (
        "plot_curve", ["--metrics", "other.csv", "--png-out", "o.png"],
        "metrics other.csv is not a train step's table",
    ),
    (
        "plot_curve", ["--metrics", "imported.csv", "--png-out", "o.png"],
        "metrics imported.csv are of a model imported from https://example.org/ex1.json; it "
        "was not trained here and has no training curve",
    ),
    (
        "plot_evaluation", ["--evaluation", "evaluation.json", "--png-out", "o.png"],
        "evaluation evaluation.json is not an evaluate step's JSON (no 'empty_grid_loss')\n",
    ),
    (
        "summarize", ["--run", "a", "b", "1", "metrics.csv", "nope.json", "--csv-out", "o.csv",
                      "--aggregated-out", "a.csv"],
        "evaluation nope.json does not exist",
    ),
    (
        "summarize", ["--run", "a", "b", "1", "metrics.csv", "evaluation.json", "--csv-out",
                      "o.csv", "--aggregated-out", "a.csv"],
        "evaluation evaluation.json is not an evaluate step's JSON",
    ),
    (
        "plot_overview", ["--target", "a", "x.png", "--run", "b", "c", "y.png", "z.png",
                          "--horizon", "10", "--png-out", "o.png"],
        "run b / c has no target row; targets: a",
    ),
    (
        "plot_overview", ["--target", "a", "x.png", "--run", "a", "c", "y.png", "z.png", "--run",
                          "a", "c", "z.png", "y.png", "--horizon", "10", "--png-out", "o.png"],
        "run a / c is given twice",
    ),
    (
        "plot_overview", ["--target", "a", "x.png", "--run", "a", "c", "y.png", "z.png",
                          "--horizon", "10", "--png-out", "o.png"],
        "preview x.png does not exist",
    ),
    # import_reference
    (
        "import_reference", ["--model", "nope.json", "--source", "s.json", "--params-out",
                             "p.npy", "--metrics-out", "m.csv", "--info-out", "i.json"],
        "model nope.json does not exist",
    ),
    (
        "import_reference", ["--model", "model.json", "--source", "evaluation.json",
                             "--params-out", "p.npy", "--metrics-out", "m.csv", "--info-out",
                             "i.json"],
        "sidecar evaluation.json is not fetch_reference's (no 'url')",
    ),
    # fetch_emoji
    (
        "fetch_emoji", ["--emoji", "🦎", "--png-out", "o.png", "--source-out", "e.json",
                        "--timeout", "0"],
        "argument --timeout: '0' is invalid; use a number in (0, 600]",
    ),
    (
        "fetch_emoji", ["--emoji", "🦎", "--png-out", "o.png", "--source-out", "e.json",
                        "--retries", "-1"],
        "argument --retries: '-1' is invalid; use an integer in [0, 10]",
    ),
]  # fmt: skip


def assert_one_line_error(returncode: int, stderr: str, message: str, folder) -> None:
    assert returncode == 1, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("error: "), stderr
    assert message in stderr
    assert not OUTPUTS & {p.name for p in folder.iterdir()}


@pytest.mark.parametrize(("step", "args", "message"), CASES)
def test_bad_input_is_one_line(inputs, monkeypatch, capsys, step, args, message):
    """In this process (a subprocess each costs seconds of JAX's import): the step's ``main``
    as its ``python -m`` entry point runs it, through :func:`run_step`."""
    main = importlib.import_module(f"nca_steps.steps.{step}").main
    monkeypatch.chdir(inputs)
    with pytest.raises(SystemExit) as stop:
        run_step(lambda: main(args))
    assert_one_line_error(stop.value.code, capsys.readouterr().err, message, inputs)


@pytest.mark.parametrize("step", sorted({step for step, _, _ in CASES}))
def test_each_step_run_as_a_module_refuses_in_one_line(inputs, step):
    """Each step's ``python -m`` entry point, for the first of its cases above."""
    args, message = next((a, m) for s, a, m in CASES if s == step)
    proc = run_module(f"nca_steps.steps.{step}", *args, cwd=inputs)
    assert_one_line_error(proc.returncode, proc.stderr, message, inputs)


def test_population_that_does_not_divide_the_devices_is_one_line(inputs):
    proc = run_module(
        "nca_steps.steps.train",
        *["--target", "target.npy", *TRAIN, "--pop-size", "32", "--generations", "1"],
        cwd=inputs,
        env={"XLA_FLAGS": "--xla_force_host_platform_device_count=3"},
    )
    assert proc.returncode == 1
    assert proc.stderr == (
        "error: population size 32 does not divide across 3 devices; use a multiple of 3\n"
    )
    assert not OUTPUTS & {p.name for p in inputs.iterdir()}


@pytest.mark.parametrize(
    ("bounds", "words"),
    [
        (Range(int, minimum=2, multiple_of=2), "an even integer >= 2"),
        (Range(float, above=0, maximum=1), "a number in (0, 1]"),
        (Range(int, minimum=0, maximum=9), "an integer in [0, 9]"),
        (Range(float, above=0), "a number > 0"),
        (Range(int, multiple_of=3), "a multiple of 3"),
    ],
)
def test_range_words(bounds, words):
    assert bounds.describe() == words


@pytest.mark.parametrize("text", ["0", "-3", "1.5", "", "inf"])
def test_range_refuses(text):
    with pytest.raises(argparse.ArgumentTypeError, match=f"'{text}' is invalid"):
        POSITIVE_INT.parse(text)


def test_help_is_not_an_error(capsys):
    with pytest.raises(SystemExit) as stop:
        StepParser(prog="x").parse_args(["--help"])
    assert stop.value.code == 0
