"""The evaluate and render_gif steps on any flat vector, one laid out as the notebook's too."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from nca_steps.images import to_rgb, to_uint8
from tests.conftest import notebook_vector, run_module


def evaluate(tmp_path, name: str, *extra: str, params: str = "params.npy"):
    return run_module(
        "nca_steps.steps.evaluate",
        "--params",
        tmp_path / params,
        "--target",
        tmp_path / "target.npy",
        "--steps",
        "6",
        "--loss-every",
        "3",
        "--rollouts",
        "3",
        "--horizon",
        "2",
        "--metrics-out",
        tmp_path / f"{name}.json",
        "--frames-out",
        tmp_path / f"{name}.npz",
        "--damage-frames-out",
        tmp_path / f"{name}_damage.npz",
        "--grown-out",
        tmp_path / f"{name}.png",
        "--at-horizon-out",
        tmp_path / f"{name}_at_horizon.png",
        *extra,
    )


def test_notebook_vector_evaluates_and_renders(tmp_path, tiny_target):
    np.save(tmp_path / "target.npy", tiny_target)
    np.save(tmp_path / "params.npy", notebook_vector())
    for name in ("a", "b"):
        proc = evaluate(tmp_path, name)
        assert proc.returncode == 0, proc.stderr
    a = json.loads((tmp_path / "a.json").read_text())
    assert a == json.loads((tmp_path / "b.json").read_text())  # deterministic
    assert len(a["mse_per_step"]) == 13 and a["horizon_steps"] == 12 and a["finite"]
    assert a["empty_grid_loss"] == 2 * float(np.square(tiny_target).mean())
    assert a["empty_grid_mse"] == float(np.square(tiny_target).mean())
    assert a["mse_at"] == {"1x": pytest.approx(a["mse_per_step"][6], abs=1e-7)}  # 3x: not reached
    assert Image.open(tmp_path / "a.png").size == (12 * 4, 10 * 4)
    # the overview's two pictures: the first rollout at the steps and at the horizon, drawn as
    # the frames (stored as float16, hence a level of rounding) show them
    rgba = np.load(tmp_path / "a.npz")["rgba"].astype(np.float32)
    pictures = [np.asarray(Image.open(tmp_path / f"a{n}.png"), int) for n in ("", "_at_horizon")]
    for picture, frame in zip(pictures, (6, 12), strict=True):
        assert np.abs(picture - to_uint8(to_rgb(rgba[frame]), 4)).max() <= 1, frame
    assert not np.array_equal(*pictures)

    frames, gif = tmp_path / "a.npz", tmp_path / "a.gif"
    proc = run_module("nca_steps.steps.render_gif", "--frames", frames, "--gif-out", gif)
    assert proc.returncode == 0, proc.stderr
    gif = Image.open(tmp_path / "a.gif")
    assert gif.size == (12 * 4, 10 * 4) and gif.n_frames > 1


def test_wrong_vector_length_is_one_line(tmp_path, tiny_target):
    np.save(tmp_path / "target.npy", tiny_target)
    np.save(tmp_path / "short.npy", np.zeros(100, np.float32))
    proc = evaluate(tmp_path, "x", params="short.npy")
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "error: parameter vector has shape (100,); 16 channels and hidden width 128 need (8336,)"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.npy", "target.npy"]


def test_a_still_model_is_untouched_by_damage_away_from_its_seed(tmp_path, tiny_target):
    """Known answer: with zero parameters nothing changes, and the quadrant discs of the tiny
    target miss the seed cell, so the damaged run equals the undamaged one (ratio 1)."""
    np.save(tmp_path / "target.npy", tiny_target)
    np.save(tmp_path / "params.npy", np.zeros(8336, np.float32))
    proc = evaluate(tmp_path, "still")
    assert proc.returncode == 0, proc.stderr
    e = json.loads((tmp_path / "still.json").read_text())
    seed_mse = e["mse_per_step"][0]  # rounded to 7 decimals
    assert e["damage"]["before"] == e["damage"]["after"] == e["damage"]["end"]
    assert e["damage"]["before"] == pytest.approx(seed_mse, abs=1e-7)
    assert e["damage"]["ratio"] == 1.0 and e["damaged_mse_per_step"] == [seed_mse] * 7
    assert e["drift"] == {"from_step": 6, "to_step": 12, "mse": 0.0, "vs_empty": 0.0}
    assert e["repair_gap"] == {"step": 12, "mse": 0.0, "vs_empty": 0.0}
    assert len(e["damage"]["centres"]) == 4 and e["damage"]["step"] == 6
    frames = np.load(tmp_path / "still_damage.npz")["rgba"]
    assert frames.shape == (2 * 6 + 2, 10, 12, 4) and (frames == frames[0]).all()


def test_at_fire_rate_one_the_turned_growth_is_the_upright_one_turned(tmp_path, tiny_target):
    """Known answer on the 10 x 12 tiny target (even sides: the turned seed sits one cell off
    the middle): without random updates the rotation test's ratio is 1."""
    np.save(tmp_path / "target.npy", tiny_target)
    np.save(tmp_path / "params.npy", notebook_vector())
    proc = evaluate(tmp_path, "r", "--fire-rate", "1")
    assert proc.returncode == 0, proc.stderr
    rotation = json.loads((tmp_path / "r.json").read_text())["rotation"]
    assert rotation["mse"] == pytest.approx(rotation["unrotated_mse"], rel=1e-5)
    assert rotation["ratio"] == pytest.approx(1.0, rel=1e-5)
    e = json.loads((tmp_path / "r.json").read_text())
    assert e["mse_per_step"][6] != e["mse_per_step"][0]  # it grew: not a still pattern


def test_the_repair_gap_is_the_damage_alone(tmp_path, tiny_target):
    """The undamaged twin of each damaged run draws the same random updates, so a model whose
    growth reaches past the erased discs shows a gap while its drift counts only the time."""
    np.save(tmp_path / "target.npy", tiny_target)
    np.save(tmp_path / "params.npy", notebook_vector())
    proc = evaluate(tmp_path, "g")
    assert proc.returncode == 0, proc.stderr
    e = json.loads((tmp_path / "g.json").read_text())
    empty = e["empty_grid_mse"]
    assert e["drift"]["to_step"] == 12 and e["drift"]["vs_empty"] == e["drift"]["mse"] / empty
    assert e["drift"]["mse"] > 0 and e["repair_gap"]["step"] == 12
    assert e["repair_gap"]["vs_empty"] == pytest.approx(e["repair_gap"]["mse"] / empty)
    assert e["repair_gap"]["mse"] > 0  # the notebook vector grows into the damaged discs
