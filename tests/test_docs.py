"""README.md and docs/: a short front page, one topic a page, and no link to nowhere."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from tests.conftest import ROOT
from tests.workflow import snakemake

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def headings(path: Path) -> set[str]:
    """GitHub's anchors of a page's headings (code blocks skipped)."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {
        re.sub(r"[^\w\- ]", "", m[1].strip().lower()).replace(" ", "-")
        for m in re.finditer(r"^#+ (.*)$", text, re.M)
    }


def links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return [m[1] for m in LINK.finditer(text)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_points_at_a_file_and_heading_that_exist(page):
    for link in links(page):
        if re.match(r"^[a-z]+:", link):
            continue  # https:, mailto:
        target, _, anchor = link.partition("#")
        path = (page.parent / unquote(target)).resolve() if target else page
        assert path.exists(), f"{page.name}: {link} points at nothing"
        if anchor and path.suffix == ".md":
            assert anchor in headings(path), f"{page.name}: {link} has no such heading"


def test_the_readme_is_short_and_opens_with_a_picture_and_the_two_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) < 150
    first_screen = "\n".join(lines[:40])
    assert "![" in first_screen
    assert "pip install -e . && snakemake --cores all" in first_screen
    assert 'pip install -e ".[dev,slurm]" && python -m pytest' in first_screen
    assert len(links(ROOT / "README.md")) > 10  # the docs' table of contents


@pytest.mark.parametrize("page", PAGES[1:], ids=lambda p: p.name)
def test_each_docs_page_opens_with_its_title_and_what_it_covers(page):
    title, blank, *intro = page.read_text(encoding="utf-8").splitlines()[:4]
    assert title.startswith("# ") and blank == "" and all(intro), page.name
    assert page.name in (ROOT / "README.md").read_text(encoding="utf-8")  # in the contents


def test_the_readmes_config_example_is_a_valid_config(tmp_path):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    example = text.split("## Add your emoji or a combination", 1)[1]
    config = yaml.safe_load(example.split("```yaml\n", 1)[1].split("```", 1)[0])
    proc = snakemake(tmp_path, "--dry-run", config=config)
    assert proc.returncode == 0, proc.stderr + proc.stdout


def test_the_configuration_page_gives_every_key_of_the_schema():
    """Top-level keys as bullets, the keys of the sections in the table, with their defaults."""
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for key, sub in schema["properties"].items():
        assert f"**{key}**" in page, key
        for name, part in sub.get("properties", {}).items():
            default = part.get("default", "—")
            if isinstance(default, list):
                default = "[" + ", ".join(map(str, default)) + "]"
            assert f"| `{key}.{name}` | {default} |" in page, f"{key}.{name}"
