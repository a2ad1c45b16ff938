"""The build_viewer step, and its page in real headless Chromium: the same model as
nca_steps/model.py, erasing under the mouse, a picture mid-growth."""

from __future__ import annotations

import math
import shutil

import jax
import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from nca_steps import distill_models
from nca_steps.damage import disc_radius
from nca_steps.emoji_sources import SHIPPED_DIR
from nca_steps.images import prepare_target, preview_png, read_rgba
from nca_steps.model import (
    ALIVE_THRESHOLD,
    ALPHA,
    HIDDEN,
    Params,
    flatten,
    init_params,
    param_count,
    rollout,
)
from nca_steps.viewer.chromium import viewer_state
from tests.conftest import made_once, make_tiny_target, run_module
from tests.test_download import DISTILL_MODELS

STEPS = 32  # the training steps these tests compare over twice


@pytest.fixture(scope="session")
def trained(tmp_path_factory, worker_id):
    """A folder with the 10 x 12 tiny target and a model trained on it by the train step
    (adam, 8 rollouts a step: a pattern that grows and holds within seconds), made once for all
    test processes."""
    return made_once(tmp_path_factory, worker_id, "trained_viewer", train_tiny)


def train_tiny(folder) -> None:
    save_target(folder, make_tiny_target())
    proc = run_module(
        "nca_steps.steps.train", "--target", folder / "target.npy",
        "--params-out", folder / "params.npy", "--metrics-out", folder / "metrics.csv",
        "--checkpoint", folder / "checkpoint.npz", "--algorithm", "adam",
        "--pop-size", "8", "--generations", "100", "--steps", str(STEPS),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


@pytest.fixture
def viewer(tmp_path, trained):
    for name in ("target.npy", "preview.png", "params.npy"):
        shutil.copy(trained / name, tmp_path / name)
    proc = build(tmp_path)
    assert proc.returncode == 0, proc.stderr
    return tmp_path / "viewer.html"


def save_target(folder, target: np.ndarray) -> None:
    """The target as prepare_target leaves it: the array and its picture."""
    np.save(folder / "target.npy", target)
    (folder / "preview.png").write_bytes(preview_png(target, 4))


def build(tmp_path, params: str = "params.npy", *extra: str):
    return run_module(
        "nca_steps.steps.build_viewer",
        "--params",
        tmp_path / params,
        "--target",
        tmp_path / "target.npy",
        "--preview",
        tmp_path / "preview.png",
        "--steps",
        str(STEPS),
        "--title",
        "tiny <test> __NCA_JS__",
        "--html-out",
        tmp_path / "viewer.html",
        *extra,
    )


def open_paused(chromium, page, query: str = "") -> None:
    chromium.get(f"{page.as_uri()}?paused&{query}")
    errors = chromium.execute_script("return window.nca ? null : document.body.innerText")
    assert errors is None, errors


@pytest.mark.parametrize("angle", [0, 90, 30])
def test_at_fire_rate_one_the_page_grows_what_model_rollout_grows(chromium, viewer, angle):
    open_paused(chromium, viewer, f"fire=1&angle={angle}")
    assert chromium.execute_script("return window.nca.config.training_steps") == STEPS
    chromium.execute_script(f"window.nca.step({2 * STEPS})")
    state = viewer_state(chromium)
    params = np.load(viewer.parent / "params.npy")
    expected = rollout(
        params, jax.random.PRNGKey(0), 2 * STEPS, height=10, width=12, fire_rate=1.0,
        angle=math.radians(angle),
    )[-1]  # fmt: skip
    assert state.shape == expected.shape == (10, 12, 16)
    assert (state[..., ALPHA] > ALIVE_THRESHOLD).sum() > 1  # it grew
    assert np.abs(state[..., :4] - expected[..., :4]).max() <= 1e-3
    assert np.abs(state - expected).max() <= 1e-3


def test_a_narrower_hidden_layer_grows_in_the_page_as_in_jax(chromium, tmp_path):
    """A width-32 model (its own parameter layout) steps in the page as model.rollout does."""
    save_target(tmp_path, make_tiny_target())
    key = jax.random.PRNGKey(7)
    params = init_params(key, 16, 32) + 0.05 * jax.random.normal(key, (param_count(16, 32),))
    np.save(tmp_path / "params.npy", np.asarray(params))
    assert build(tmp_path, "params.npy", "--hidden", "32").returncode == 0
    open_paused(chromium, tmp_path / "viewer.html", "fire=1")
    chromium.execute_script("window.nca.step(8)")
    expected = rollout(params, key, 8, height=10, width=12, hidden=32, fire_rate=1.0)[-1]
    assert (np.asarray(expected)[..., ALPHA] > ALIVE_THRESHOLD).sum() > 1
    assert np.abs(viewer_state(chromium) - expected).max() <= 1e-3
    wrong = build(tmp_path, "params.npy")  # the notebook's width, 128
    assert wrong.returncode != 0 and "hidden width 128 need" in wrong.stderr


@pytest.mark.skipif(
    not (DISTILL_MODELS / "ex2_🦎.json").is_file(),
    reason=f"the article's models are not at {DISTILL_MODELS}",
)
@pytest.mark.parametrize("experiment", ["ex1", "ex2", "ex3"])
def test_the_articles_lizard_grows_in_the_page_as_in_jax(chromium, tmp_path, experiment):
    """Weights nobody here wrote, at the article's size, to the horizon they were trained for.

    At fire rate 1 these models overgrow the 72 x 72 grid, so float rounding in two correct
    implementations grows until the states part. Measured on a Zen 4 against Chromium (largest
    difference over all channels; ex1, ex2, ex3): above 1e-5 from step 39, 38, 91; above 1e-3
    from step 158, 116, 187. At step 96 all three stayed under 6e-5: a 1e-3 bound leaves the
    margin of the other viewer tests' bound and fails where a layer or an input is misread."""
    text = (DISTILL_MODELS / f"{experiment}_🦎.json").read_text(encoding="utf-8")
    np.save(tmp_path / "params.npy", distill_models.article_params(text))
    lizard = prepare_target(
        read_rgba(SHIPPED_DIR / "emoji_u1f98e.png"), distill_models.TARGET_SIZE,
        distill_models.PADDING,
    )  # fmt: skip
    save_target(tmp_path, lizard)
    assert build(tmp_path, "params.npy").returncode == 0
    open_paused(chromium, tmp_path / "viewer.html", "fire=1")
    steps, grid = distill_models.STEPS, distill_models.GRID
    chromium.execute_script(f"window.nca.step({steps})")
    state = viewer_state(chromium)
    params = np.load(tmp_path / "params.npy")
    expected = np.asarray(
        rollout(params, jax.random.PRNGKey(0), steps, height=grid, width=grid, fire_rate=1.0)[-1]
    )
    assert (expected[..., ALPHA] > ALIVE_THRESHOLD).sum() > 500  # a lizard, not a speck
    assert np.abs(state - expected).max() <= 1e-3


def edge_vector(channels: int = 16) -> np.ndarray:
    """Weights under which a cell's alpha rises by 0.2 where it perceives nothing and falls
    steeply where it perceives anything: the empty cells around a pattern's edge come alive in
    the update and keep their living neighbours alive, though they themselves are cleared."""
    w1 = np.zeros((3 * channels, HIDDEN), np.float32)
    w2 = np.zeros((HIDDEN, channels), np.float32)
    b1 = np.zeros(HIDDEN, np.float32)
    b1[0], w2[0, ALPHA] = 1.0, 0.2
    for k in range(3 * channels):  # hidden units 1 + 2k and 2 + 2k: relu(+-10 x input k)
        w1[k, 1 + 2 * k], w1[k, 2 + 2 * k] = 10.0, -10.0
        w2[1 + 2 * k, ALPHA] = w2[2 + 2 * k, ALPHA] = -10.0
    return np.asarray(flatten(Params(w1, b1, w2, np.zeros(channels, np.float32))))


def test_cells_kept_alive_only_by_a_cleared_neighbour_survive_as_in_jax(chromium, tmp_path):
    """Known answer: after one step from the seed, the ring around it survives (with negative
    alpha) only because the cells beyond it rose above 0.1 before being cleared."""
    save_target(tmp_path, make_tiny_target())
    np.save(tmp_path / "params.npy", edge_vector())
    assert build(tmp_path).returncode == 0
    open_paused(chromium, tmp_path / "viewer.html", "fire=1")
    chromium.execute_script("window.nca.step(1)")
    expected = rollout(edge_vector(), jax.random.PRNGKey(0), 1, height=10, width=12, fire_rate=1.0)[
        -1
    ]
    ring = np.abs(np.asarray(expected)).sum(axis=-1) > 0
    assert ring.sum() == 8 and not ring[5, 6]  # the seed's 8 neighbours, not the seed
    assert np.abs(viewer_state(chromium) - expected).max() <= 1e-3


def distance_to_stroke(stroke: list[tuple[float, float]]) -> np.ndarray:
    """Each cell middle's distance to the polyline through ``stroke``'s (column, row) points."""
    rows, cols = np.mgrid[:10, :12] + 0.5
    cells = np.stack([cols, rows], axis=-1)
    distances = []
    for a, b in zip(stroke[:-1], stroke[1:], strict=True):
        a, b = np.array(a), np.array(b)
        t = np.clip(((cells - a) @ (b - a)) / max((b - a) @ (b - a), 1e-12), 0, 1)
        distances.append(np.linalg.norm(cells - (a + t[..., None] * (b - a)), axis=-1))
    return np.min(distances, axis=0)


@pytest.mark.parametrize(
    ("stroke", "duration"),
    [
        ([(3.5 + k, 5.0) for k in range(6)], 250),  # along the middle row, a move per cell
        ([(2.0, 3.0), (10.0, 7.0)], 0),  # across in one instant move: no gaps either
    ],
)
def test_dragging_over_the_grid_erases_the_cells_under_it(chromium, viewer, stroke, duration):
    open_paused(chromium, viewer, "fire=1")
    chromium.execute_script(f"window.nca.step({STEPS})")
    before = viewer_state(chromium)
    canvas = chromium.find_element(By.ID, "grid")
    zoom = chromium.execute_script("return arguments[0].clientWidth", canvas) / 12
    radius = float(chromium.find_element(By.ID, "eraser").get_attribute("value"))
    assert radius == max(1, round(disc_radius(np.load(viewer.parent / "target.npy"))))
    # (column, row) in grid units -> pixel offsets from the canvas's centre
    offset = lambda col, row: (round((col - 6) * zoom), round((row - 5) * zoom))  # noqa: E731
    actions = ActionChains(chromium, duration=duration)
    actions.move_to_element_with_offset(canvas, *offset(*stroke[0])).click_and_hold()
    for point in stroke[1:]:
        actions.move_to_element_with_offset(canvas, *offset(*point))
    actions.release().perform()
    after = viewer_state(chromium)

    distance = distance_to_stroke(stroke)
    erased = (after == 0).all(axis=-1)
    assert erased[distance <= radius - 0.5].all()
    assert (after[distance > radius + 0.5] == before[distance > radius + 0.5]).all()
    assert (before[distance <= radius - 0.5] != 0).any()  # there was something to erase


def test_only_the_main_button_erases(chromium, viewer):
    open_paused(chromium, viewer, "fire=1")
    chromium.execute_script(f"window.nca.step({STEPS})")
    before = viewer_state(chromium)
    ActionChains(chromium).context_click(chromium.find_element(By.ID, "grid")).perform()
    assert (viewer_state(chromium) == before).all()


def test_a_screenshot_mid_growth_shows_the_pattern(chromium, viewer, tmp_path):
    open_paused(chromium, viewer, "fire=1")
    chromium.execute_script(f"window.nca.step({STEPS // 2})")
    shot = tmp_path / "viewer.png"
    chromium.find_element(By.ID, "grid").screenshot(str(shot))
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 8  # many colours, not a blank page
    assert (pixels < 200).any()  # something darker than the white background


def test_the_page_is_self_contained(viewer):
    page = viewer.read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page and "<script src" not in page
    assert "<title>tiny &lt;test&gt; __NCA_JS__</title>" in page  # filled once, escaped


def test_wrong_vector_length_is_one_line(tmp_path, tiny_target):
    save_target(tmp_path, tiny_target)
    np.save(tmp_path / "short.npy", np.zeros(100, np.float32))
    proc = build(tmp_path, "short.npy")
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "error: parameter vector has shape (100,); 16 channels and hidden width 128 need (8336,)"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preview.png", "short.npy", "target.npy"]
