"""The fetch_reference step on the loopback server, which serves the Distill article's models
from the copies beside the repository as the article's repository would."""

from __future__ import annotations

import json

import pytest

from nca_steps import distill_models
from tests.conftest import run_module
from tests.test_download import DISTILL_MODELS, server, site  # noqa: F401

needs_models = pytest.mark.skipif(
    not (DISTILL_MODELS / "ex2_🦎.json").is_file(),
    reason=f"the article's models are not at {DISTILL_MODELS}",
)


def fetch(tmp_path, experiment: str, emoji: str, models_url: str):
    return run_module(
        "nca_steps.steps.fetch_reference", "--experiment", experiment, "--emoji", emoji,
        "--models-url", models_url, "--json-out", tmp_path / "model.json",
        "--source-out", tmp_path / "model.source.json", "--retries", "0",
    )  # fmt: skip


@needs_models
def test_a_model_is_fetched_with_its_source_licence_and_attribution(tmp_path, site):  # noqa: F811
    folder = f"{site.url}/distill/post--growing-ca/{distill_models.COMMIT}/public/webgl_models8"
    proc = fetch(tmp_path, "persistent", "U+1F98E", folder)
    assert proc.returncode == 0, proc.stderr
    published = (DISTILL_MODELS / "ex2_🦎.json").read_bytes()
    assert (tmp_path / "model.json").read_bytes() == published
    source = json.loads((tmp_path / "model.source.json").read_text(encoding="utf-8"))
    assert source["url"] == f"{folder}/ex2_%F0%9F%A6%8E.json"
    assert source["commit"] == distill_models.COMMIT and source["licence"] == "CC-BY 4.0"
    assert source["attribution"].startswith("Mordvintsev, Randazzo, Niklasson, Levin")
    assert source["emoji"] == "🦎" and source["experiment"] == "persistent"


@pytest.mark.parametrize(
    ("kind", "experiment", "emoji", "message"),
    [
        ("html", "growing", "🦎", "error: the download of the article's growing 🦎 from {url} "
         "is not JSON"),
        ("missing", "growing", "🦎", "error: HTTP 404 for the article's growing 🦎 at {url}: "
         "--models-url may not be the article's model folder"),
        ("ok", "growing", "🐸", "error: the article has no model of 🐸; it has 🦎 🦋"),
        ("ok", "dancing", "🦎", "error: argument --experiment: invalid choice: 'dancing'"),
    ],
)  # fmt: skip
def test_a_failure_is_one_line_and_writes_nothing(tmp_path, site, kind, experiment, emoji,  # noqa: F811
                                                  message):  # fmt: skip
    folder = f"{site.url}/{kind}"
    proc = fetch(tmp_path, experiment, emoji, folder)
    assert proc.returncode == 1
    url = f"{folder}/ex1_%F0%9F%A6%8E.json"
    assert proc.stderr.strip().startswith(message.format(url=url)), proc.stderr
    assert "\n" not in proc.stderr.strip()
    assert list(tmp_path.iterdir()) == []
