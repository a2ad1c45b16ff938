"""The real Snakefile with the config key ``references``: the Distill article's lizard,
downloaded from the loopback server (which serves the copies beside the repository as the
article's repository would), imported, evaluated and shown beside a trained run."""

from __future__ import annotations

import csv
import json
import re
import shutil

import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.by import By

from nca_steps import distill_models
from nca_steps.steps import plot_overview
from nca_steps.steps.summarize import COLUMNS
from tests.conftest import made_once
from tests.test_download import DISTILL_MODELS, serving
from tests.workflow import TINY, planned_jobs, snakemake

pytestmark = pytest.mark.skipif(
    not (DISTILL_MODELS / "ex2_🦎.json").is_file(),
    reason=f"the article's models are not at {DISTILL_MODELS}",
)


@pytest.fixture(scope="session")
def done(tmp_path_factory, worker_id):
    """A run of one tiny trained lizard and the article's persistent and regenerating lizards,
    made once for all test processes."""
    return made_once(tmp_path_factory, worker_id, "references_run", run_with_references)


def run_with_references(workdir):
    with serving() as server:
        port = server.server_address[1]
        config = {
            **TINY,
            "targets": {"lizard": "🦎"},
            "references": {"lizard": ["persistent", "regenerating"]},
            "reference_models_url": f"http://127.0.0.1:{port}/refs/distill/public/webgl_models8",
        }
        snakemake(workdir, "--dry-run", config=config)
        assert planned_jobs(workdir) == {
            "fetch_emoji": 1,  # the trained lizard and the article's share the emoji
            "fetch_reference": 2,
            "import_reference": 2,
            "prepare_target": 2,  # 8 px for training, 40 px on 72 x 72 for the article's
            "train": 1,
            "evaluate": 3,
            "render_gif": 6,
            "build_viewer": 3,
            "index_viewers": 1,
            "plot_curve": 1,  # an imported model has no training curve
            "plot_evaluation": 3,
            "summarize": 1,
            "plot_overview": 1,
            "all": 1,
        }
        proc = snakemake(workdir, "--cores", "2")
        assert proc.returncode == 0, proc.stderr


def test_the_articles_models_are_run_folders_with_their_source(done):
    for experiment, ex in (("persistent", "ex2"), ("regenerating", "ex3")):
        run = done / "results" / "runs" / "article-lizard" / experiment / "seed0"
        published = (DISTILL_MODELS / f"{ex}_🦎.json").read_text(encoding="utf-8")
        assert np.array_equal(np.load(run / "params.npy"), distill_models.article_params(published))
        info = json.loads((run / "reference.json").read_text(encoding="utf-8"))
        assert info["url"].endswith(f"/{ex}_%F0%9F%A6%8E.json") and info["licence"] == "CC-BY 4.0"
        evaluation = json.loads((run / "evaluation.json").read_text())
        assert evaluation["steps"] == distill_models.STEPS and evaluation["horizon_steps"] == 192
        assert np.load(run / "growth_frames.npz")["rgba"].shape == (193, 72, 72, 4)
        assert not (run / "training_curve.png").exists()
    target = json.loads((done / "results/targets/article-lizard/target.json").read_text())
    assert target["grid"] == [72, 72]


def test_summary_has_the_target_free_measures_for_every_run(done):
    with open(done / "results" / "summary.csv", newline="", encoding="utf-8") as f:
        rows = {(r["target"], r["combination"]): r for r in csv.DictReader(f)}
    assert list(rows) == [
        ("lizard", "base"), ("article-lizard", "persistent"), ("article-lizard", "regenerating")
    ]  # fmt: skip
    trained = rows["lizard", "base"]
    assert trained["source"] == "trained" and trained["generations"] == "3"
    for key in ("persistent", "regenerating"):
        row = rows["article-lizard", key]
        assert row["source"].startswith("http://127.0.0.1:") and row["generations"] == "0"
        assert row["final_training_loss"] == row["wall_seconds"] == ""
        # the article's models hold their lizard: it moves little from 96 to 192 steps
        assert float(row["drift_vs_empty"]) < 0.05, row
    for row in rows.values():
        assert all(row[c] != "" for c in ("drift_vs_empty", "repair_gap_vs_empty")), row
        assert list(row) == list(COLUMNS)


def test_overview_puts_the_articles_row_under_its_experiments(done):
    overview = Image.open(done / "results" / "overview.png").convert("RGB")
    targets = ["lizard", "article-lizard"]
    combinations = ["base", "persistent", "regenerating"]
    names = ("grown.png", "at_horizon.png")
    run = lambda t, c, seed: done / "results" / "runs" / t / c / seed  # noqa: E731
    pictures = {
        **{("lizard", "base", n): run("lizard", "base", "seed1") / n for n in names},
        **{
            ("article-lizard", c, n): run("article-lizard", c, "seed0") / n
            for c in combinations[1:]
            for n in names
        },
    }
    loaded = {k: Image.open(p).convert("RGB") for k, p in pictures.items()}
    previews = [Image.open(done / f"results/targets/{t}/preview.png") for t in targets]
    rows = [[preview, *(p for (t, _, _), p in loaded.items() if t == target)]
            for target, preview in zip(targets, previews, strict=True)]  # fmt: skip
    titles = plot_overview.titles(combinations, TINY["evaluation"]["horizon"])
    grid = plot_overview.layout(targets, titles, rows)
    assert grid.heights[0] < grid.heights[1]  # each row as high as its own pictures
    assert overview.size == plot_overview.tile_origin(2, 7, grid)
    tiles = [(c, n) for c in combinations for n in names]
    for r, target in enumerate(targets):
        for col, (combination, name) in enumerate(tiles, start=1):
            x, y = plot_overview.tile_origin(r, col, grid)
            shown = np.asarray(overview.crop((x, y, x + grid.width, y + grid.heights[r])))
            picture = loaded.get((target, combination, name))
            if picture is None:  # no such run: a blank tile
                assert (shown == 255).all(), (target, combination, name)
            else:
                w, h = picture.size
                assert np.array_equal(shown[:h, :w], np.asarray(picture)), (target, name)


def test_viewer_index_and_report_label_the_articles_models(done, chromium, tmp_path):
    chromium.get((done / "results" / "viewer.html").as_uri())
    rows = [r.text for r in chromium.find_elements(By.CSS_SELECTOR, "tr")[1:]]
    experiments = ("persistent", "regenerating")
    assert rows[1:] == [f"article-lizard {e} 0 article-lizard / {e} / seed 0" for e in experiments]
    chromium.get((done / "results/runs/article-lizard/persistent/seed0/viewer.html").as_uri())
    title = chromium.find_element(By.TAG_NAME, "h1").text
    assert title == "article-lizard / persistent: the Distill article's model"

    run = shutil.copytree(done, tmp_path / "run", symlinks=True)  # the report is added to it
    proc = snakemake(run, "--report", "results/report.html")
    assert proc.returncode == 0, proc.stderr
    added = re.findall(r"^Adding (\S+) \(", proc.stdout + proc.stderr, re.M)
    assert added.count("viewer.html") == 3 and added.count("training_curve.png") == 1
    html = (run / "results" / "report.html").read_text(encoding="utf-8")
    for experiment in experiments:  # the report writes the emoji as JSON escapes
        assert f"the {experiment} model of \\ud83e\\udd8e that the Distill article trained" in html
    assert "Mordvintsev, Randazzo, Niklasson, Levin" in html and "CC-BY 4.0" in html
