"""The index_viewers step: a missing viewer is one clear line and leaves no page behind."""

from __future__ import annotations

from PIL import Image

from tests.conftest import run_module


def test_links_are_relative_to_the_page_and_escaped(tmp_path):
    (tmp_path / "runs" / "a#1" / "b").mkdir(parents=True)
    (tmp_path / "runs" / "a#1" / "b" / "viewer.html").write_text("<html></html>")
    Image.new("RGB", (4, 4)).save(tmp_path / "preview.png")
    proc = run_module(
        "nca_steps.steps.index_viewers", "--run", "a&", "b", "1", "runs/a#1/b/viewer.html",
        "preview.png", "--html-out", "results/viewer.html", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "results" / "viewer.html").read_text()
    assert '<a href="../runs/a%231/b/viewer.html">a&amp; / b / seed 1</a>' in page


def test_a_missing_viewer_is_one_line(tmp_path):
    Image.new("RGB", (4, 4)).save(tmp_path / "preview.png")
    proc = run_module(
        "nca_steps.steps.index_viewers", "--run", "a", "b", "1", "viewer.html", "preview.png",
        "--html-out", "index.html", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "error: viewer.html does not exist; build the run's viewer and target first"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preview.png"]
