"""The real Snakefile on a tiny config in a temporary folder: a whole run, its outputs, report
and viewers, and what a rerun does."""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest
import yaml
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from nca_steps.metrics import read_metrics
from nca_steps.model import rollout
from nca_steps.steps import plot_overview
from nca_steps.viewer.chromium import viewer_state
from tests.conftest import PATIENCE, ROOT, made_once
from tests.workflow import TINY, planned_jobs, snakemake


@pytest.fixture(scope="session")
def done(tmp_path_factory, worker_id) -> Path:
    """A finished run of the whole pipeline, two seeds per (target, combination), made once
    for all test processes."""
    return made_once(tmp_path_factory, worker_id, "workflow_run", run_pipeline)


def run_pipeline(workdir: Path) -> None:
    disc = np.zeros((12, 12, 4), np.uint8)
    disc[3:9, 3:9] = (30, 120, 200, 255)
    Image.fromarray(disc).save(workdir / "disc.png")
    config = {**TINY, "seeds": [1, 2]}
    (workdir / "tiny.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    assert planned_jobs(workdir) == {
        "fetch_emoji": 1,
        "prepare_target": 2,
        "train": 4,
        "evaluate": 4,
        "render_gif": 8,  # growth and damage
        "build_viewer": 4,
        "index_viewers": 1,
        "plot_curve": 4,
        "plot_evaluation": 4,
        "summarize": 1,
        "plot_overview": 1,
        "all": 1,
    }
    proc = snakemake(workdir, "--cores", "2")
    assert proc.returncode == 0, proc.stderr


@pytest.fixture
def done_copy(done, tmp_path) -> Path:
    """A copy of the finished run (times kept) for a test that changes it, so that tests that
    read ``done`` see it as it was, whatever order they run in."""
    return shutil.copytree(done, tmp_path / "run", symlinks=True)


def test_all_outputs(done):
    for target in ("lizard", "disc"):
        run = done / "results" / "runs" / target / "base" / "seed1"
        for name in (
            "params.npy",
            "metrics.csv",
            "evaluation.json",
            "growth.gif",
            "damage.gif",
            "growth.html",
            "damage.html",
            "training_curve.png",
            "evaluation.png",
            "viewer.html",
        ):
            assert (run / name).stat().st_size > 0, name
        assert np.load(run / "params.npy").shape == (8336,)
        assert np.load(run / "growth_frames.npz")["rgba"].shape == (2 * 4 + 1, 12, 12, 4)
        assert np.load(run / "damage_frames.npz")["rgba"].shape == (2 * 4 + 2, 12, 12, 4)
        assert Image.open(run / "growth.gif").n_frames > 1  # equal frames are merged
        assert json.loads((run / "evaluation.json").read_text())["horizon_steps"] == 8
        log = (done / "logs" / "train" / target / "base" / "seed1.log").read_text()
        assert len(re.findall(r"^gen \d+/3 .* s/gen  ETA", log, re.M)) == 3
        assert (done / "results" / "benchmarks" / "train" / target / "base" / "seed1.tsv").exists()
    source = json.loads((done / "resources" / "emoji" / "u1f98e.json").read_text())
    assert source["source"] == "shipped" and source["emoji"] == "🦎"


def test_overview_has_a_row_per_target_and_two_columns_per_combination(done):
    """Each tile of the overview is exactly the picture of its (target, combination): grown to
    the training steps, then to the evaluation's horizon."""
    overview = Image.open(done / "results" / "overview.png").convert("RGB")
    targets, combinations = ["lizard", "disc"], ["base"]
    pictures = [
        [done / "results" / "targets" / t / "preview.png"]
        + [
            done / "results" / "runs" / t / c / "seed1" / name
            for c in combinations
            for name in ("grown.png", "at_horizon.png")
        ]
        for t in targets
    ]
    loaded = [[Image.open(p).convert("RGB") for p in row] for row in pictures]
    titles = plot_overview.titles(combinations, TINY["evaluation"]["horizon"])
    assert titles == ["target", "base", "base at 2x"]
    grid = plot_overview.layout(targets, titles, loaded)
    assert overview.size == plot_overview.tile_origin(2, 3, grid)
    for r, row in enumerate(loaded):
        for c, picture in enumerate(row):
            x, y = plot_overview.tile_origin(r, c, grid)
            shown = overview.crop((x, y, x + picture.width, y + picture.height))
            assert np.array_equal(np.asarray(shown), np.asarray(picture)), (r, c)
    assert not np.array_equal(np.asarray(loaded[0][1]), np.asarray(loaded[1][1]))
    assert not np.array_equal(np.asarray(loaded[0][1]), np.asarray(loaded[0][2]))


def test_summary_table(done):
    """Each row repeats its run's own numbers: the last generation and the evaluation."""
    with open(done / "results" / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["target"], r["combination"], r["seed"]) for r in rows] == [
        ("lizard", "base", "1"),
        ("lizard", "base", "2"),
        ("disc", "base", "1"),
        ("disc", "base", "2"),
    ]
    for r in rows:
        run = done / "results" / "runs" / r["target"] / r["combination"] / f"seed{r['seed']}"
        metrics = read_metrics(run / "metrics.csv")
        evaluation = json.loads((run / "evaluation.json").read_text())
        assert int(r["generations"]) == len(metrics["generation"]) == 3
        expected = {
            "final_training_loss": metrics["center_loss"][-1],
            "wall_seconds": metrics["seconds"][-1],
            "evaluation_loss": evaluation["loss"],
            "empty_grid_loss": evaluation["empty_grid_loss"],
            "evaluation_vs_empty": evaluation["loss_vs_empty"],
            "mse_1x_vs_empty": evaluation["mse_at"]["1x"] / evaluation["empty_grid_mse"],
            "damage_ratio": evaluation["damage"]["ratio"],
            "rotation_ratio": evaluation["rotation"]["ratio"],
        }
        for column, value in expected.items():
            assert float(r[column]) == pytest.approx(value, rel=1e-5), column
        target = np.load(done / "results" / "targets" / r["target"] / "target.npy")
        empty = 2 * float(np.square(target).mean())  # loss steps 2 and 4 of an empty grid
        assert float(r["empty_grid_loss"]) == pytest.approx(empty, rel=1e-5)
        assert r["mse_3x_vs_empty"] == r["mse_10x_vs_empty"] == ""  # horizon 2 x the steps


def test_the_es_study_tabulates_a_finished_run(done, tmp_path):
    """benchmarks/es_study.py --table-only: one row per combination, the MSE at 1x per target
    as the mean over seeds with the worst seed, dead seeds counted."""
    with open(done / "results" / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    table = tmp_path / "study.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/es_study.py"), "--table-only", "--out", str(done),
         "--table-out", str(table)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    head, _, base, note = table.read_text().splitlines()
    assert head.startswith("| combination | disc 1x | lizard 1x | 3x | 10x | damage ratio | dead |")
    cells = [c.strip() for c in base.strip("|").split("|")]
    for target, cell in zip(("disc", "lizard"), cells[1:3], strict=True):
        values = [float(r["mse_1x_vs_empty"]) for r in rows if r["target"] == target]
        assert cell == f"{np.mean(values):.3f} ({max(values):.3f})"
    dead = sum(float(r["mse_1x_vs_empty"]) >= 0.99 for r in rows)
    assert cells[0] == "base" and cells[6] == f"{dead}/4" and cells[7] == "3"
    assert "4 runs" in note and "CPU:" in note


def test_replicates_differ_and_are_aggregated_over_seeds(done):
    with open(done / "results" / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(done / "results" / "summary_by_combination.csv", newline="") as f:
        aggregated = list(csv.DictReader(f))
    assert [(a["target"], a["combination"], a["seeds"]) for a in aggregated] == [
        ("disc", "base", "2"),
        ("lizard", "base", "2"),
    ]
    for a in aggregated:
        runs = [r for r in rows if r["target"] == a["target"]]
        losses = [float(r["final_training_loss"]) for r in runs]
        assert losses[0] != losses[1]  # another seed, another run
        assert float(a["final_training_loss_mean"]) == pytest.approx(np.mean(losses), rel=1e-5)
        assert float(a["final_training_loss_std"]) == pytest.approx(
            np.std(losses, ddof=1), rel=1e-4
        )
        assert a["mse_3x_vs_empty_mean"] == a["mse_3x_vs_empty_std"] == ""  # not reached


def test_report_holds_every_run_and_the_summary(done_copy, chromium, tmp_path):
    """`snakemake --report` after the run: each run's six figures and pages, the overview and
    the summary, with captions that name the run and its settings; in Chromium, every run's
    live viewer runs inside the report."""
    proc = snakemake(done_copy, "--report", "results/report.html")
    assert proc.returncode == 0, proc.stderr
    added = re.findall(r"^Adding (\S+) \(", proc.stdout + proc.stderr, re.M)
    per_run = [
        "training_curve.png", "evaluation.png", "grown.png", "growth.html", "damage.html",
        "viewer.html",
    ]  # fmt: skip
    assert sorted(added) == sorted(per_run * 4 + ["overview.png", "summary.csv"])
    html = (done_copy / "results" / "report.html").read_text()
    assert "lizard / base / seed 2 (algorithm pgpe, experiment growing, later_losses 2," in html
    assert "Damage and repair of disc / base / seed 1" in html
    assert "mse_10x_vs_empty_mean" in html  # the aggregated table in the description
    page = (done_copy / "results" / "runs" / "disc" / "base" / "seed1" / "growth.html").read_text()
    assert 'src="data:image/gif;base64,' in page

    report = (done_copy / "results" / "report.html").as_uri()
    chromium.get(report)
    assert_not_blank(chromium, tmp_path / "report.png")
    figures = ["damage animation", "evaluation", "grown picture", "growth animation",
               "live viewer", "training curve"]  # fmt: skip
    for target in ("lizard", "disc"):
        chromium.get(report)
        click_link(chromium, target)
        rows = lambda: chromium.find_elements(By.CSS_SELECTOR, "tr")  # noqa: E731
        listed = sorted(r.text for r in rows() if r.text[:1] in "12" and "\n" not in r.text)
        assert listed == sorted(f"{seed} {figure}" for seed in (1, 2) for figure in figures)
        for seed in (1, 2):
            row = next(r for r in rows() if r.text == f"{seed} live viewer")
            row.find_element(By.CSS_SELECTOR, "a[iconname=eye]").click()
            frame = WebDriverWait(chromium, PATIENCE).until(
                lambda d: d.find_element(By.TAG_NAME, "iframe")
            )
            chromium.switch_to.frame(frame)
            WebDriverWait(chromium, PATIENCE).until(
                lambda d: d.execute_script("return !!window.nca")
            )
            assert chromium.find_element(By.TAG_NAME, "h1").text == f"{target} / base / seed {seed}"
            assert WebDriverWait(chromium, PATIENCE).until(
                lambda d: d.execute_script("return window.nca.model.steps") > 0  # it plays
            )
            chromium.switch_to.default_content()
        assert_not_blank(chromium, tmp_path / f"report_{target}.png")


def click_link(driver, text: str) -> None:
    """Click the report's link with this text (the report is one page of scripts)."""
    link = WebDriverWait(driver, PATIENCE).until(
        lambda d: next((a for a in d.find_elements(By.TAG_NAME, "a") if a.text == text), None)
    )
    link.click()


def assert_not_blank(driver, path: Path) -> None:
    """Save a screenshot of the window and check it shows more than a background."""
    driver.save_screenshot(str(path))
    pixels = np.asarray(Image.open(path).convert("RGB"))
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50, path


def test_viewer_index_links_every_run_and_each_grows_its_model(done, chromium):
    """results/viewer.html lists each run beside its target's picture; each linked viewer,
    at fire rate 1, grows for twice the training steps what model.rollout grows (every
    channel)."""
    results = done / "results"
    chromium.get((results / "viewer.html").as_uri())
    rows = chromium.find_elements(By.CSS_SELECTOR, "tr")[1:]
    runs = [(t, "base", s) for t in ("lizard", "disc") for s in (1, 2)]
    assert [r.text for r in rows] == [f"{t} {c} {s} {t} / {c} / seed {s}" for t, c, s in runs]
    links = []
    for row, (target, _, _) in zip(rows, runs, strict=True):
        picture = row.find_element(By.TAG_NAME, "img").get_attribute("src")
        preview = (results / "targets" / target / "preview.png").read_bytes()
        assert picture == "data:image/png;base64," + base64.b64encode(preview).decode()
        links.append(row.find_element(By.TAG_NAME, "a").get_attribute("href"))
    for link, (target, combination, seed) in zip(links, runs, strict=True):
        run = results / "runs" / target / combination / f"seed{seed}"
        assert link == (run / "viewer.html").as_uri()
        chromium.get(link + "?paused&fire=1")
        steps = chromium.execute_script("return window.nca.config.training_steps")
        assert steps == TINY["hyperparameters"]["steps"]
        chromium.execute_script(f"window.nca.step({2 * steps})")
        grid = np.load(results / "targets" / target / "target.npy").shape[:2]
        states = rollout(
            np.load(run / "params.npy"), jax.random.PRNGKey(0), 2 * steps,
            height=grid[0], width=grid[1], fire_rate=1.0,
        )  # fmt: skip
        assert np.abs(states[-1] - states[0]).max() > 0.05  # 3 generations: it changes a little
        assert np.abs(viewer_state(chromium) - states[-1]).max() <= 1e-3


def test_rerun_does_nothing_and_deleted_figure_only_rerenders(done_copy):
    assert planned_jobs(done_copy) == {}
    (done_copy / "results" / "runs" / "disc" / "base" / "seed1" / "growth.gif").unlink()
    assert planned_jobs(done_copy) == {"render_gif": 1, "all": 1}


def test_settings_that_change_no_result_rerun_nothing(done_copy):
    """Logging, checkpoints, download patience, threads, retries and resources: none reruns a
    finished run; a hyperparameter reruns every run it is in."""
    quiet = {
        **TINY,
        "seeds": [1, 2],
        "emoji": {**TINY["emoji"], "timeout": 3, "retries": 0},
        "training": {
            "log_every": 2,
            "checkpoint_every": 7,
            "threads": 2,
            "retries": 0,
            "mem_mb": 999,
            "gpus": 0,
            "seconds_per_generation": 9.5,
        },
    }
    (done_copy / "tiny.yaml").write_text(yaml.safe_dump(quiet, allow_unicode=True, sort_keys=False))
    assert planned_jobs(done_copy) == {}
    changed = {**quiet, "hyperparameters": {**TINY["hyperparameters"], "lr": 0.09}}
    (done_copy / "tiny.yaml").write_text(
        yaml.safe_dump(changed, allow_unicode=True, sort_keys=False)
    )
    assert planned_jobs(done_copy)["train"] == 4


def test_a_run_from_a_bare_environment(tmp_path):
    """The venv's snakemake started by its path with no venv on PATH (as from cron or a cluster
    wrapper), under an ASCII locale without Python's UTF-8 mode: every job runs the interpreter
    that has nca_steps, and the emoji, the config and every file written pass intact."""
    venv_snakemake = Path(sys.executable).parent / "snakemake"
    assert venv_snakemake.is_file()
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV" and not k.startswith("LC_")}
    env.update(PATH="/usr/bin:/bin", LC_ALL="C", PYTHONCOERCECLOCALE="0", PYTHONUTF8="0")
    assert shutil.which("python", path=env["PATH"]) in (None, "/usr/bin/python")
    encoding = subprocess.run(
        [sys.executable, "-c", "import locale; print(locale.getpreferredencoding())"],
        env=env, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert encoding in ("ANSI_X3.4-1968", "ascii"), encoding
    config = {**TINY, "targets": {"lizard": "🦎"}}
    program = (str(venv_snakemake),)
    dry = snakemake(tmp_path, "--dry-run", config=config, program=program, env=env)
    assert dry.returncode == 0, dry.stderr
    seed1 = "results/runs/lizard/base/seed1"
    run = tmp_path / seed1
    # every step that writes text (sidecars, CSV, JSON, HTML, logs); the plots write PNGs
    outputs = [f"{seed1}/viewer.html", f"{seed1}/growth.gif", "results/summary.csv"]
    proc = snakemake(tmp_path, "--cores", "2", *outputs, program=program, env=env)
    assert proc.returncode == 0, proc.stderr
    source = json.loads((tmp_path / "resources/emoji/u1f98e.json").read_text(encoding="utf-8"))
    assert source["emoji"] == "🦎"
    assert "🦎 (u1f98e) from shipped" in (tmp_path / "logs/fetch_emoji/u1f98e.log").read_text(
        encoding="utf-8"
    )
    assert json.loads((run / "evaluation.json").read_text(encoding="utf-8"))["horizon_steps"] == 8
    assert "lizard / base / seed 1" in (run / "viewer.html").read_text(encoding="utf-8")
    assert "growth: lizard / base / seed 1" in (run / "growth.html").read_text(encoding="utf-8")
    assert (tmp_path / "results/summary.csv").read_text(encoding="utf-8").count("lizard") == 1


def test_a_new_combination_runs_only_new_jobs_and_can_carry_a_finished_run_on(done_copy):
    """A start_from combination added after a run: only its jobs are planned; one of them,
    run with the rules after it, continues the finished run's search (its metrics begin with
    the start's rows), and its caption, with an apostrophe, reaches its GIF's page through the
    shell."""
    done = done_copy
    carried_on = {"experiment": "regenerating", "generations": 5, "start_from": "base"}
    config = {**TINY, "combinations": {"base": {}, "on": carried_on}}
    (done / "tiny.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    jobs = planned_jobs(done)
    assert jobs["train"] == 2 and jobs["evaluate"] == 2 and "prepare_target" not in jobs
    assert "fetch_emoji" not in jobs
    runs = done / "results" / "runs" / "lizard"
    page = runs / "on" / "seed1" / "growth.html"  # train, evaluate, render: one run's chain
    proc = snakemake(done, "--cores", "2", str(page.relative_to(done)))
    assert proc.returncode == 0, proc.stderr
    start = read_metrics(runs / "base" / "seed1" / "metrics.csv")
    carried = read_metrics(runs / "on" / "seed1" / "metrics.csv")
    assert carried["generation"] == [0, 1, 2, 3, 4]
    assert all(carried[column][:3] == values for column, values in start.items())
    text = page.read_text(encoding="utf-8")
    assert "growth: lizard / on / seed 1 (" in text and "continues base&#x27;s run)" in text
