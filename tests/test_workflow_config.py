"""The config as the real Snakefile checks it: one clear line for each bad key (the check itself,
nca_steps.workflow_config, and as ``snakemake --dry-run`` prints it), defaults for the rest,
every shipped config valid; and ``snakemake --lint``."""

from __future__ import annotations

import copy
import re
import subprocess
import sys

import pytest
import yaml

from nca_steps import hyperparameters, job_time, workflow_config
from tests.conftest import ROOT
from tests.workflow import TINY, planned_jobs, snakemake

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"

BAD_CONFIGS = [
    (
        {"tragets": {}},
        "config error at top level: Additional properties are not allowed ('tragets'",
    ),
    (
        {"hyperparameters": {**TINY["hyperparameters"], "pop_size": 5}},
        "config error at hyperparameters.pop_size: 5 is not a multiple of 2",
    ),
    (
        {"hyperparameters": {**TINY["hyperparameters"], "steps": 5}},
        "config error at combinations.base: steps 5 is not a multiple of loss_every 2",
    ),
    ({"targets": {"x": "hello"}}, "config error at targets.x: 'hello' is not a single emoji"),
    (
        {"targets": {"a": "🦎", "b": "🦎"}},
        "config error at targets.b: emoji 🦎 is listed twice",
    ),
    ({"targets": {"bad name": "🦎"}}, "config error at targets: 'bad name' does not match"),
    ({"targets": 5}, "config error at targets: 5 is not of type 'object', 'array', 'string'"),
    (
        {"targets": ["🦎", "lizard"]},
        "config error at targets: 'lizard' is not a list of emojis",
    ),
    ({"targets": "❤️❤"}, "config error at targets: ❤️ and ❤ are both named 'red_heart'"),
    ({"combinations": {"c": {"lr": "fast"}}}, "config error at combinations.c"),
    (
        {"combinations": {"c": {"seed": 3}}},
        "config error at combinations.c.seed: runs take their seeds from the top-level list "
        "seeds (e.g. seeds: [3])",
    ),
    ({"seeds": [1, 1]}, "config error at seeds: [1, 1] has non-unique elements"),
    ({"seeds": [-1]}, "config error at seeds.0: -1 is less than the minimum of 0"),
    ({"combinations": {"a/b": {}}}, "config error at combinations: 'a/b' does not match"),
    ({"combinations": {"c": {"algorithm": "cma"}}}, "config error at combinations.c"),
    ({"target_size": 0}, "config error at target_size: 0 is less than the minimum of 3"),
    (
        {"render": {"fps": 60}},
        "config error at render.fps: 60 is greater than the maximum of 50",
    ),
    (
        {"hyperparameters": {"steps": 2048}},
        "config error at hyperparameters.steps: 2048 is greater than the maximum of 1024",
    ),
    (
        {"hyperparameters": {"pop_size": 32.0}},
        "config error at combinations.base: pop_size 32.0 is invalid; use an even integer",
    ),
    (
        {"combinations": {"c": {"lr": float("nan")}}},
        "config error at combinations.c: lr nan is invalid; use a number in (0, 10]",
    ),
    (
        {"hyperparameters": {**TINY["hyperparameters"], "generations": 0}},
        "config error at hyperparameters.generations: 0 is less than the minimum of 1",
    ),
    (
        {"combinations": {"c": {"grid": {"lr": [0.1, -1]}}}},
        "config error at combinations.c.grid.lr.1: -1 is less than or equal to the minimum",
    ),
    ({"combinations": {"c": {"grid": {"lr": 0.1}}}}, "config error at combinations.c"),
    (
        {"combinations": {"c": {"lr": 0.1, "grid": {"lr": [0.2, 0.3]}}}},
        "config error at combinations.c: lr is both set and in the grid of combination c",
    ),
    (
        {"combinations": {"c": {"grid": {"seed": [1, 2]}}}},
        "config error at combinations.c.grid.seed: runs take their seeds from the top-level",
    ),
    (
        {"combinations": {"c": {"grid": {"lr": [0.1]}}, "c_lr~0.1": {}}},
        "config error at combinations.c: its grid point c_lr~0.1 is also another",
    ),
    (
        {"combinations": {"c": {"algorithm": "adam", "pool": 4}}},
        "config error at combinations.c: pool 4 is for the evolution strategies; use 0 with adam",
    ),
    (
        {"combinations": {"c": {"algorithm": "adam", "weight_decay": 0.01}}},
        "config error at combinations.c: weight_decay 0.01 is for the evolution strategies; "
        "use 0 with adam",
    ),
    (
        {"combinations": {"c": {"window": 5}}},
        "config error at combinations.c: window 5 is longer than steps 4",
    ),
    (
        {"combinations": {"c": {"grid": {"steps": [4, 5]}}}},
        "config error at combinations.c_steps~5: steps 5 is not a multiple of loss_every 2",
    ),
    (
        {"combinations": {"base": {}, "c": {"start_from": "growing"}}},
        "config error at combinations.c.start_from: 'growing' is no combination; use one of base",
    ),
    (
        {"combinations": {"c": {"grid": {"lr": [0.1, 0.2]}}, "d": {"start_from": "c"}}},
        "config error at combinations.d.start_from: 'c' is no combination; use one of "
        "c_lr~0.1, c_lr~0.2",
    ),
    (
        {"combinations": {"c": {"start_from": "c"}}},
        "config error at combinations.c.start_from: c -> c is a cycle",
    ),
    (
        {
            "combinations": {
                "a": {"start_from": "b"},
                "b": {"start_from": "c"},
                "c": {"start_from": "a"},
            }
        },
        "config error at combinations.a.start_from: a -> b -> c -> a is a cycle",
    ),
    (
        {"combinations": {"a": {}, "b": {"hidden": 32, "generations": 9, "start_from": "a"}}},
        "config error at combinations.b.start_from: a trains hidden 128, b hidden 32; a run "
        "continues only a search of its own algorithm, pop_size, channels, hidden",
    ),
    (
        {"combinations": {"a": {}, "b": {"algorithm": "snes", "pop_size": 8, "start_from": "a"}}},
        "config error at combinations.b.start_from: a trains algorithm pgpe, pop_size 4, b "
        "algorithm snes, pop_size 8; a run continues only a search of its own algorithm, ",
    ),
    (
        {"combinations": {"a": {}, "b": {"experiment": "regenerating", "start_from": "a"}}},
        "config error at combinations.b.start_from: a trains 3 generations, b 3; a run's "
        "generations count from its start's first, so give b more than 3",
    ),
    (
        {"combinations": {"a": {}, "b": {"grid": {"start_from": ["a"]}}}},
        "config error at combinations.b.grid: Additional properties are not allowed ('start_from'",
    ),
    (
        {"references": {"frog": ["growing"]}},
        "config error at references: 'frog' is not one of ['lizard', 'butterfly',",
    ),
    (
        {"references": {"lizard": ["growing", "dancing"]}},
        "config error at references.lizard.1: 'dancing' is not one of ['growing', "
        "'persistent', 'regenerating']",
    ),
    ({"references": {"lizard": []}}, "config error at references.lizard: [] should be non-"),
    (
        {"targets": {"article-lizard": "🦎"}},
        "config error at targets.article-lizard: names starting with article- are the "
        "Distill article's models (the key references); give the target another name",
    ),
]


@pytest.mark.parametrize(("change", "message"), BAD_CONFIGS)
def test_bad_config_is_one_clear_error(change, message):
    with pytest.raises(ValueError) as err:
        workflow_config.validate(copy.deepcopy({**TINY, **change}), SCHEMA)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


# The Snakefile stops on each kind of problem with the check's line: the schema's, the emojis',
# a grid's, the settings'. (A dry run costs about 2 s of CPU, so not one for every bad config.)
KINDS = (
    "at top level", "is listed twice", "is also another", "is for the evolution strategies",
    "is a cycle",
)  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"), [c for c in BAD_CONFIGS if any(kind in c[1] for kind in KINDS)]
)
def test_snakemake_stops_with_the_checks_line(tmp_path, change, message):
    proc = snakemake(tmp_path, "--dry-run", config={**TINY, **change})
    assert proc.returncode != 0
    assert message in proc.stderr + proc.stdout


def test_a_target_list_is_a_whole_config(tmp_path):
    """Every other key has a default: the hyperparameters' come from nca_steps.hyperparameters."""
    proc = snakemake(
        tmp_path, "--dry-run", "--printshellcmds", config={"targets": {"lizard": "🦎"}}
    )
    assert proc.returncode == 0, proc.stderr
    flags = " ".join(f"{h.flag} {h.default}" for h in hyperparameters.HYPERPARAMETERS)
    train = [line for line in proc.stdout.splitlines() if "nca_steps.steps.train" in line]
    assert len(train) == 1 and flags in train[0]
    assert "results/runs/lizard/base/seed1/params.npy" in train[0]
    assert "--size 20 --padding 4" in proc.stdout


@pytest.mark.parametrize("targets", [["🦎", "🐸"], "🦎🐸", "🦎, 🐸"])
def test_targets_as_a_list_of_emojis_are_named_by_them(tmp_path, targets):
    proc = snakemake(tmp_path, "--dry-run", config={**TINY, "targets": targets})
    assert proc.returncode == 0, proc.stderr
    for name in ("lizard", "frog"):
        assert f"results/runs/{name}/base/seed1/params.npy" in proc.stdout


def test_a_grid_expands_to_a_combination_per_point_named_as_paramspace_names_them(tmp_path):
    config = {
        **TINY,
        "targets": {"lizard": "🦎"},
        "combinations": {
            "plain": {},
            "sweep": {"pop_size": 6, "grid": {"lr": [0.05, 0.1], "algorithm": ["pgpe", "snes"]}},
        },
    }
    proc = snakemake(tmp_path, "--dry-run", "--printshellcmds", config=config)
    assert proc.returncode == 0, proc.stderr
    train = [line for line in proc.stdout.splitlines() if "nca_steps.steps.train" in line]
    runs = {line.split("results/runs/lizard/")[1].split("/")[0]: line for line in train}
    assert sorted(runs) == [
        "plain",
        "sweep_lr~0.05_algorithm~pgpe",
        "sweep_lr~0.05_algorithm~snes",
        "sweep_lr~0.1_algorithm~pgpe",
        "sweep_lr~0.1_algorithm~snes",
    ]
    point = runs["sweep_lr~0.1_algorithm~snes"]
    assert "--algorithm snes" in point and "--lr 0.1 " in point and "--pop-size 6 " in point
    assert "--pop-size 4 " in runs["plain"]


def test_a_run_with_start_from_trains_after_and_continues_the_run_it_names(tmp_path):
    config = {
        **TINY,
        "targets": {"lizard": "🦎"},
        "seeds": [1, 2],
        "combinations": {
            "growing": {},
            "regenerating": {
                "experiment": "regenerating",
                "generations": 5,
                "start_from": "growing",
            },
        },
        "training": {"seconds_per_generation": 600},
    }
    proc = snakemake(tmp_path, "--dry-run", "--printshellcmds", config=config)
    assert proc.returncode == 0, proc.stderr
    train = [line for line in proc.stdout.splitlines() if "nca_steps.steps.train" in line]
    assert len(train) == 4
    for seed in (1, 2):
        start = f"results/runs/lizard/growing/seed{seed}/state.npz"
        tuned = [line for line in train if f"/regenerating/seed{seed}/" in line]
        assert len(tuned) == 1 and f"--start-state {start} " in tuned[0]
        assert f"input: results/targets/lizard/target.npy, {start}" in proc.stdout
    growing = [line for line in train if "--params-out results/runs/lizard/growing/" in line]
    assert len(growing) == 2 and not any("--start-state" in line for line in growing)
    for seed in (1, 2):  # every run keeps its final state, the one its followers continue
        out = f"--state-out results/runs/lizard/growing/seed{seed}/state.npz "
        assert sum(out in line for line in growing) == 1
    # a scheduler is asked for the time of the 2 generations it adds, not of all 5
    minutes = {
        name: {
            int(m)
            for m in re.findall(rf"combination={name}, .*\n.*runtime=(\d+), gpu=", proc.stdout)
        }
        for name in ("growing", "regenerating")
    }
    expected = {n: job_time.train_minutes(g, 600) for n, g in (("growing", 3), ("regenerating", 2))}
    assert minutes == {n: {m} for n, m in expected.items()}, proc.stdout


# Every key of the schema as `--config` gives it (Snakemake reads the parts of a list or mapping
# as text), each differing from its default where it can.
TINY_HYPERPARAMETERS = {
    **{h.name: h.default for h in hyperparameters.HYPERPARAMETERS if h.name != "seed"},
    **TINY["hyperparameters"],
    "lr": 0.05,
    "max_seconds": 1.5,
}
COMMAND_LINE = {
    "targets": "{lizard: 🦎, frog: 🐸}",
    "target_size": "9",
    "target_padding": "3",
    "emoji": "{sources: [shipped, download], base_url: http://127.0.0.1:9/png, "
    "flags_url: http://127.0.0.1:9/flags, timeout: 2.5, retries: 1}",
    "hyperparameters": "{" + ", ".join(f"{k}: {v}" for k, v in TINY_HYPERPARAMETERS.items()) + "}",
    "seeds": "[1, 2]",
    "combinations": "{a: {pop_size: 6}, b: {grid: {lr: [0.1, 0.2]}}, c: null, "
    "d: {experiment: persistent, pop_size: 6, generations: 5, start_from: a}}",
    "training": "{threads: 1, gpus: 0, mem_mb: 1000, seconds_per_generation: 0.5, retries: 1, "
    "checkpoint_every: 5, log_every: 2}",
    "evaluation": "{horizon: 3, rollouts: 2, seed: 4}",
    "render": "{zoom: 3, fps: 12.5}",
    "references": "{lizard: [persistent], butterfly: [growing, regenerating]}",
    "reference_models_url": "http://127.0.0.1:9/models",
}


def plan(proc: subprocess.CompletedProcess) -> list[str]:
    """A dry run's lines of jobs and shell commands (sorted: the jobs come in no fixed order),
    without those that name a time or list the reasons."""
    assert proc.returncode == 0, proc.stderr + proc.stdout
    out = (proc.stdout + proc.stderr).split("Building DAG of jobs...")[1]
    return sorted(line for line in out.splitlines() if not line.startswith(("[", "    reason:")))


def test_every_key_works_from_the_command_line_as_from_a_configfile(tmp_path):
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    assert set(COMMAND_LINE) == set(schema["properties"])
    from_file = plan(
        snakemake(
            tmp_path,
            "--dry-run",
            "--printshellcmds",
            config={k: yaml.safe_load(v) for k, v in COMMAND_LINE.items()},
        )
    )
    args = [f"{key}={text}" for key, text in COMMAND_LINE.items()]
    from_command_line = plan(
        snakemake(
            tmp_path,
            "--dry-run",
            "--printshellcmds",
            "--config",
            *args,
            config={"targets": {"lizard": "🦎"}},
        )
    )
    assert from_command_line == from_file
    trains = [line for line in from_file if "nca_steps.steps.train " in line]
    assert len(trains) == 2 * 5 * 2  # targets x combinations (b is two grid points) x seeds
    assert all("--max-seconds 1.5 " in line for line in trains)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "seeds=[1, x]",
            "config error at seeds.1: 'x' is not of type 'integer' (--config seeds=... gives "
            "text, and this text is no integer: write lists and mappings in YAML's flow style, "
            "e.g. 'seeds=[1,2]', or give the key in a --configfile)",
        ),
        (
            "hyperparameters={pop_size: 7.5}",
            "config error at hyperparameters.pop_size: '7.5' is not of type 'integer' (--config",
        ),
        (
            "emoji={sources: shipped}",
            "config error at emoji.sources: 'shipped' is not of type 'array' (--config emoji=",
        ),
        ("hyperparameters={pop_size: 7}", "config error at hyperparameters.pop_size: 7 is not"),
    ],
)
def test_a_command_line_value_of_the_wrong_kind_is_one_line(tmp_path, entry, message):
    proc = snakemake(tmp_path, "--dry-run", "--config", entry, config=TINY)
    assert proc.returncode != 0
    assert message in proc.stderr + proc.stdout


def test_every_step_shares_a_gpu_and_runs_this_interpreter(tmp_path):
    """The shell command of every rule that runs a step, as Snakemake renders it."""
    config = {**TINY, "targets": {"lizard": "🦎"}, "references": {"lizard": ["growing"]}}
    proc = snakemake(tmp_path, "--dry-run", "--printshellcmds", config=config)
    assert proc.returncode == 0, proc.stderr
    commands = [
        line.removeprefix("Shell command: ")
        for line in proc.stdout.splitlines()
        if line.startswith("Shell command: ") and line != "Shell command: None"
    ]
    steps = {c.split("-m nca_steps.steps.")[1].split()[0] for c in commands}
    rules = "".join(p.read_text() for p in (ROOT / "workflow/rules").glob("*.smk"))
    assert steps == set(re.findall(r'step\(\s*"(\w+)"', rules))  # every rule's step ran
    start = 'XLA_PYTHON_CLIENT_PREALLOCATE=false exec "$NCA_STEPS_PYTHON" -m nca_steps.steps.'
    assert all(c.startswith(start) for c in commands)


SHIPPED_CONFIGS = {  # file -> its training jobs
    "config.yaml": 4,
    "workflow/configs/tiny.yaml": 2,
    "workflow/configs/notebook.yaml": 1,
    "workflow/configs/batch.yaml": 24,
    "workflow/configs/long.yaml": 4,
    "workflow/configs/comparison.yaml": 24,
    "workflow/configs/study.yaml": 48,
    "workflow/configs/study_pool.yaml": 24,
}


def test_every_shipped_config_is_checked():
    shipped = {str(p.relative_to(ROOT)) for p in (ROOT / "workflow" / "configs").glob("*.yaml")}
    assert shipped == set(SHIPPED_CONFIGS) - {"config.yaml"}


@pytest.mark.parametrize(("configfile", "train_jobs"), SHIPPED_CONFIGS.items())
def test_shipped_configs_are_valid(tmp_path, configfile, train_jobs):
    (tmp_path / "tiny.yaml").write_text((ROOT / configfile).read_text())
    assert planned_jobs(tmp_path)["train"] == train_jobs


def test_key_given_twice_is_refused(tmp_path):
    text = yaml.safe_dump(TINY, allow_unicode=True, sort_keys=False)
    (tmp_path / "tiny.yaml").write_text(text + "combinations:\n  base: {}\n")
    proc = snakemake(tmp_path, "--dry-run")
    assert proc.returncode != 0
    assert "'combinations' is given twice" in proc.stderr + proc.stdout


def test_missing_image_target_is_named(tmp_path):
    proc = snakemake(tmp_path, "--dry-run", config={**TINY, "targets": {"logo": "nope.png"}})
    assert proc.returncode != 0
    assert "nope.png" in proc.stderr + proc.stdout


def test_lint_is_clean():
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_reading_the_workflow_does_not_start_jax():
    """Every snakemake command (a dry run, each cluster job's) imports what common.smk
    imports; JAX alone would add most of a second of CPU to each."""
    common = (ROOT / "workflow" / "rules" / "common.smk").read_text(encoding="utf-8")
    imports = re.findall(r"^from nca_steps\S* import .+$", common, re.M)
    assert imports
    code = "\n".join([*imports, "import sys", "assert 'jax' not in sys.modules, 'jax'"])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
