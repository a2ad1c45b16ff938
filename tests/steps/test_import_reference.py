"""The import_reference step on the article's real models (the copies beside the repository)."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest

from nca_steps import distill_models
from nca_steps.metrics import imported_from, read_metrics
from tests.conftest import run_module
from tests.test_download import DISTILL_MODELS

needs_models = pytest.mark.skipif(
    not (DISTILL_MODELS / "ex3_🦎.json").is_file(),
    reason=f"the article's models are not at {DISTILL_MODELS}",
)
URL = "https://example.org/ex3_%F0%9F%A6%8E.json"


def fetched(tmp_path, name: str = "ex3_🦎.json") -> None:
    """The model and a sidecar as fetch_reference writes them."""
    shutil.copy(DISTILL_MODELS / name, tmp_path / "model.json")
    sha256 = hashlib.sha256((tmp_path / "model.json").read_bytes()).hexdigest()
    source = {"experiment": "regenerating", "emoji": "🦎", "url": URL, "commit": None,
              "licence": distill_models.LICENCE, "attribution": distill_models.ATTRIBUTION,
              "sha256": sha256}  # fmt: skip
    (tmp_path / "model.source.json").write_text(json.dumps(source), encoding="utf-8")


def import_reference(tmp_path):
    return run_module(
        "nca_steps.steps.import_reference", "--model", tmp_path / "model.json",
        "--source", tmp_path / "model.source.json", "--params-out", tmp_path / "run/params.npy",
        "--metrics-out", tmp_path / "run/metrics.csv", "--info-out", tmp_path / "run/ref.json",
    )  # fmt: skip


@needs_models
def test_a_model_becomes_a_run_folder_that_says_it_was_imported(tmp_path):
    fetched(tmp_path)
    proc = import_reference(tmp_path)
    assert proc.returncode == 0, proc.stderr
    params = np.load(tmp_path / "run/params.npy")
    text = (DISTILL_MODELS / "ex3_🦎.json").read_text(encoding="utf-8")
    assert np.array_equal(params, distill_models.article_params(text))
    assert imported_from(tmp_path / "run/metrics.csv") == URL
    metrics = read_metrics(tmp_path / "run/metrics.csv")
    assert metrics["generation"] == [0.0] and np.isnan(metrics["center_loss"][0])
    info = json.loads((tmp_path / "run/ref.json").read_text(encoding="utf-8"))
    assert info["licence"] == "CC-BY 4.0" and info["url"] == URL
    assert info["settings"] == {"channels": 16, "hidden": 128, "fire_rate": 0.5, "steps": 96,
                                "loss_every": 96, "target_size": 40, "grid": 72}  # fmt: skip


@needs_models
def test_a_sidecar_of_another_file_is_one_line_and_writes_nothing(tmp_path):
    fetched(tmp_path)
    shutil.copy(DISTILL_MODELS / "ex1_🦎.json", tmp_path / "model.json")
    proc = import_reference(tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"error: sidecar {tmp_path / 'model.source.json'} describes another file than the "
        "model (SHA-256 differs)"
    )
    assert not (tmp_path / "run").exists()
