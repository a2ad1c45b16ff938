# The config checked (nca_steps/workflow_config.py) and the input functions every rule uses.

import itertools
import json
import os
import sys
from pathlib import Path

from snakemake.settings.types import DeploymentMethod

from nca_steps import distill_models, hyperparameters, job_time, workflow_config
from nca_steps.emoji import noto_code, u_notation
from nca_steps.workflow_config import REFERENCE_PREFIX

NAME = "[A-Za-z0-9][A-Za-z0-9_.-]*"
# The Distill article's models (config key references) are runs of targets named article-<emoji
# name>, of combinations named after the article's experiments, with one seed.
REFERENCE_SEED = 0
TRAINED_NAME = f"(?!{REFERENCE_PREFIX}){NAME}"
COMBINATION = "[A-Za-z0-9][A-Za-z0-9_.~-]*"  # ~ as a grid point's names have it


wildcard_constraints:
    target=NAME,
    experiment="|".join(distill_models.EXPERIMENTS),
    name="[a-z_]+",
    combination=COMBINATION,
    seed="[0-9]+",
    code="u[0-9a-f_]+",
    animation="growth|damage",


def targets():
    return list(config["targets"])


def combinations():
    return list(config["combinations"])


def combination(name):
    """A combination's full hyperparameters: the shared ones, overridden by its own."""
    return workflow_config.combination(config, name)


def reference_targets():
    """Target name (article-lizard) -> emoji of every reference the config asks for."""
    emojis = distill_models.by_name()
    return {f"{REFERENCE_PREFIX}{name}": emojis[name] for name in config["references"]}


def reference_runs():
    """Every (target, experiment, seed) of the article's models the config asks for."""
    return [
        (f"{REFERENCE_PREFIX}{name}", experiment, REFERENCE_SEED)
        for name, experiments in config["references"].items()
        for experiment in experiments
    ]


def is_reference(target):
    return target in reference_targets()


def run_settings(wildcards):
    """The settings a run's model runs at: its combination's, or the article's for a reference."""
    if is_reference(wildcards.target):
        return {**hyperparameters.DEFAULTS, **distill_models.SETTINGS}
    return {**hyperparameters.DEFAULTS, **combination(wildcards.combination)}


def setting(name):
    """An input function: the run's setting ``name`` (run_settings)."""
    return lambda wildcards: run_settings(wildcards)[name]


def target_geometry(name):
    """(size, padding) of a target: the config's, or the article's for a reference."""
    if is_reference(name):
        return distill_models.TARGET_SIZE, distill_models.PADDING
    return config["target_size"], config["target_padding"]


# The repository holding this workflow; workflow/envs/nca-steps.yaml installs nca-steps from it.
# Set here for every run (jobs inherit it), not asked of the user, so `envvars:` does not apply.
os.environ.update(NCA_STEPS_ROOT=str(Path(workflow.basedir).resolve()))

# A cluster job's Snakemake reads config.yaml under the run's --configfile even where the run
# replaced it (Snakemake does not pass --replace-workflow-config on to its jobs), which would
# merge config.yaml's combinations into the job's. So the run hands its checked config to its
# jobs in the environment (the SLURM executor submits with --export=ALL) and they use it.
RUN_CONFIG = "NCA_STEPS_RUN_CONFIG"
if workflow.remote_exec and RUN_CONFIG in os.environ:
    config.clear()
    config.update(json.loads(os.environ[RUN_CONFIG]))
else:
    workflow_config.check_unique_keys(workflow.configfiles)
workflow_config.validate(
    config, workflow.source_path("../schemas/config.schema.yaml"), workflow.config_settings.config
)
os.environ[RUN_CONFIG] = json.dumps(config)

# How every rule starts its step. Through the environment, not params (Snakemake reruns a job whose
# params or shell text changed, and these change no output):
# - NCA_STEPS_PYTHON: the interpreter running this Snakemake, which can import nca_steps (the
#   first `python` on PATH may not: `.venv/bin/snakemake` run from cron or a script), or a
#   conda env's own where --use-conda makes one;
# - the settings that change no result: log and checkpoint cadence, download patience.
# XLA_PYTHON_CLIENT_PREALLOCATE=false: JAX in each job takes GPU memory as it needs it, instead
# of 75% of the GPU at start, so jobs sharing a GPU node do not fail or fall back to the CPU.
# exec: no shell stays between Snakemake and the step; on a SLURM time limit or scancel every
# process of the job gets SIGTERM, and a shell in between would die at once, end the job step,
# and SLURM would kill the step before it wrote its checkpoint.
STEP = 'XLA_PYTHON_CLIENT_PREALLOCATE=false exec "$NCA_STEPS_PYTHON" -m nca_steps.steps.'
USES_CONDA = DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
UNCOMPARED = {
    "NCA_STEPS_PYTHON": "python" if USES_CONDA else sys.executable,
    "NCA_STEPS_LOG_EVERY": config["training"]["log_every"],
    "NCA_STEPS_CHECKPOINT_EVERY": config["training"]["checkpoint_every"],
    "NCA_STEPS_DOWNLOAD_TIMEOUT": config["emoji"]["timeout"],
    "NCA_STEPS_DOWNLOAD_RETRIES": config["emoji"]["retries"],
}
os.environ.update({name: str(value) for name, value in UNCOMPARED.items()})


def step(name, args):
    """The shell command of a rule: step ``name`` of nca_steps.steps, as STEP starts it."""
    return f"{STEP}{name} {args}"

CODE_BY_TARGET = {
    **workflow_config.emoji_codes(config["targets"]),
    **{name: noto_code(emoji) for name, emoji in reference_targets().items()},
}
ALL_TARGETS = {**config["targets"], **reference_targets()}  # name -> emoji or picture
EMOJI_BY_CODE = {
    code: ALL_TARGETS[name]
    for name, code in CODE_BY_TARGET.items()
}


def target_image(wildcards):
    """The image a target is prepared from: the cached emoji PNG, or the user's file."""
    name = wildcards.target
    if name in CODE_BY_TARGET:
        return f"resources/emoji/{CODE_BY_TARGET[name]}.png"
    return config["targets"][name]


def reference_model(wildcards, suffix):
    """The cached download of a reference run's model (suffix json) or of its sidecar."""
    code = CODE_BY_TARGET[f"{REFERENCE_PREFIX}{wildcards.name}"]
    return f"resources/references/{wildcards.experiment}/{code}.{suffix}"


def hyperparameter_args(wildcards):
    hp = {**combination(wildcards.combination), "seed": wildcards.seed}
    return " ".join(f"{h.flag} {hp[h.name]}" for h in hyperparameters.HYPERPARAMETERS)


def start_state(wildcards):
    """The final state a run continues: that of the same target and seed in the combination
    its start_from names; none (an empty list) without one."""
    start = workflow_config.start_from(config, wildcards.combination)
    if start is None:
        return []
    return f"{run_dir(wildcards.target, start, wildcards.seed)}/state.npz"


def start_args(wildcards, input):
    return f"--start-state {input.start}" if input.start else ""


def train_runtime(wildcards, attempt):
    """Minutes a training job asks a scheduler for (nca_steps/job_time.py)."""
    hp = combination(wildcards.combination)
    training = config["training"]
    side = config["target_size"] + 2 * config["target_padding"]
    per_generation = training.get("seconds_per_generation") or job_time.seconds_per_generation(
        hp["pop_size"], hyperparameters.rollout_steps(hp), side * side, training["threads"]
    )
    generations = hp["generations"] - workflow_config.started_generations(
        config, wildcards.combination
    )
    return job_time.train_minutes(generations, per_generation, attempt, hp["max_seconds"])


def evaluation_mem_mb(wildcards):
    """Memory for an evaluation: the RGBA frames it keeps (rollouts x steps to the horizon and
    the damage test, of the grid), 4 x over for XLA's buffers, and 1 GB for JAX itself; at least
    2 GB. The article's models (72 x 72, 96 steps, the default 10 x 8 rollouts) peaked at 3.6 GB
    (a Zen 4, /usr/bin/time), estimated 3.9."""
    size, padding = target_geometry(wildcards.target)
    evaluation = config["evaluation"]
    frames = evaluation["rollouts"] * (evaluation["horizon"] + 2) * setting("steps")(wildcards)
    frame_mb = (size + 2 * padding) ** 2 * 4 * 4 / 2**20
    return max(2000, round(1000 + 4 * frames * frame_mb))


def seeds():
    return config["seeds"]


def run_title(wildcards):
    """A run's name, for titles: target / combination / seed, or the article's model."""
    if is_reference(wildcards.target):
        return f"{wildcards.target} / {wildcards.combination}: the Distill article's model"
    return f"{wildcards.target} / {wildcards.combination} / seed {wildcards.seed}"


def run_caption(wildcards):
    """A run's name and settings, for the report's captions."""
    if is_reference(wildcards.target):
        emoji = reference_targets()[wildcards.target]
        return (
            f"{wildcards.target} / {wildcards.combination}: the {wildcards.combination} model "
            f"of {emoji} that the Distill article trained by gradient descent and published, "
            f"imported (not trained here); {distill_models.ATTRIBUTION}; "
            f"{distill_models.LICENCE}"
        )
    hp = combination(wildcards.combination)
    parts = [
        ", ".join(f"{h.name} {hp[h.name]}" for h in hyperparameters.HYPERPARAMETERS if h.name in hp)
    ]
    start = workflow_config.start_from(config, wildcards.combination)
    if start is not None:
        parts.append(f"continues {start}'s run")
    settings = "; ".join(part for part in parts if part)
    return f"{wildcards.target} / {wildcards.combination} / seed {wildcards.seed} ({settings})"


def run_report(path, caption, figure):
    """A run's file in the report: category its target, subcategory its combination."""
    return report(
        path,
        caption=f"../report/{caption}.rst",
        category="{target}",
        subcategory="{combination}",
        labels={"seed": "{seed}", "figure": figure},
    )


def run_dir(target, combination, seed):
    return f"results/runs/{target}/{combination}/seed{seed}"


def trained_runs():
    """Every (target, combination, seed) trained."""
    return list(itertools.product(targets(), combinations(), seeds()))


def runs():
    """Every run: trained, then the article's models the config asks for."""
    return trained_runs() + reference_runs()


def all_targets():
    return targets() + list(reference_targets())


def overview_runs():
    """The runs the overview shows: each trained (target, combination)'s first seed, and the
    article's."""
    return [run for run in trained_runs() if run[2] == seeds()[0]] + reference_runs()


def all_outputs():
    per_run = ["growth.gif", "damage.gif", "evaluation.png", "viewer.html"]
    files = [f"{run_dir(*run)}/{name}" for run in runs() for name in per_run]
    files += [f"{run_dir(*run)}/training_curve.png" for run in trained_runs()]
    summaries = ["results/summary.csv", "results/summary_by_combination.csv"]
    return files + summaries + ["results/overview.png", "results/viewer.html"]
