"""The conda environment of the rules installs nca-steps itself, so pyproject.toml stays the one
list of pins, and the rules run from any working directory."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import ROOT

ENV = yaml.safe_load((ROOT / "workflow/envs/nca-steps.yaml").read_text())
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def pip_lines() -> list[str]:
    return next(d["pip"] for d in ENV["dependencies"] if isinstance(d, dict))


def test_env_installs_the_package_and_pins_nothing_of_its_own():
    assert pip_lines() == ["-e ${NCA_STEPS_ROOT}"]
    pinned = [d for d in ENV["dependencies"] if isinstance(d, str) and "=" in d]
    assert pinned == ["python=3.11"]  # the one Python the package's pins were tested on
    low, high = re.fullmatch(
        r">=3\.(\d+),<3\.(\d+)", PYPROJECT["project"]["requires-python"]
    ).groups()
    assert int(low) <= 11 < int(high)


def test_the_workflow_sets_the_root_that_pip_expands(tmp_path, monkeypatch):
    """conda hands the pip lines to pip as a requirements file, where pip expands
    ${NCA_STEPS_ROOT}; the workflow sets it to the repository (its Snakefile's folder)."""
    from pip._internal.network.session import PipSession
    from pip._internal.req.req_file import parse_requirements

    assert (
        "os.environ.update(NCA_STEPS_ROOT=str(Path(workflow.basedir).resolve()))"
        in (ROOT / "workflow/rules/common.smk").read_text()
    )
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("\n".join(pip_lines()) + "\n")
    monkeypatch.setenv("NCA_STEPS_ROOT", str(ROOT))
    parsed = list(parse_requirements(str(requirements), session=PipSession()))
    assert [(r.requirement, r.is_editable) for r in parsed] == [(str(ROOT), True)]
    assert (ROOT / "pyproject.toml").is_file()
