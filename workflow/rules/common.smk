# Config validation and the input functions every rule uses.

import itertools
import json
import os
import sys
from pathlib import Path

import jsonschema
import yaml
from snakemake.settings.types import DeploymentMethod

from nca_steps import distill_models, hyperparameters, job_time
from nca_steps.emoji import named_emojis, noto_code, split_emojis, u_notation
from nca_steps.errors import StepError

NAME = "[A-Za-z0-9][A-Za-z0-9_.-]*"
# The Distill article's models (config key references) are runs of targets named article-<emoji
# name>, of combinations named after the article's experiments, with one seed.
REFERENCE_PREFIX = "article-"
REFERENCE_SEED = 0
TRAINED_NAME = f"(?!{REFERENCE_PREFIX}){NAME}"
COMBINATION = "[A-Za-z0-9][A-Za-z0-9_.~-]*"  # ~ as a grid point's names have it
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff", ".bmp")


class UniqueKeyLoader(yaml.SafeLoader):
    """YAML loader that refuses a key given twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ValueError(
                    f"config error in {key_node.start_mark.name}, line "
                    f"{key_node.start_mark.line + 1}: {key!r} is given twice"
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def check_unique_keys(paths):
    for path in paths:
        with open(path, encoding="utf-8") as f:
            yaml.load(f, Loader=UniqueKeyLoader)


def validate_config(config, schema_file, command_line=None):
    """Read ``command_line``'s values (``--config``: text) as the schema's types, fill the
    schema's defaults, then stop at the first problem with a one-line message."""
    schema = yaml.safe_load(Path(schema_file).read_text(encoding="utf-8"))
    schema["$defs"]["hyperparameters"] = hyperparameters.json_schema()
    schema["$defs"]["combination"] = hyperparameters.combination_json_schema()
    schema["$defs"]["seeds"] = hyperparameters.seeds_json_schema()
    schema["$defs"]["references"] = distill_models.references_json_schema()
    for key in command_line or {}:
        if key in config:
            config[key] = typed(config[key], schema["properties"].get(key, {}), schema)
    check_per_run(config)
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "top level"
        hint = ""
        from_command_line = error.absolute_path and error.absolute_path[0] in (command_line or {})
        if from_command_line and error.validator == "type" and isinstance(error.instance, str):
            hint = (
                f" (--config {error.absolute_path[0]}=... gives text, and this text is no "
                f"{error.validator_value}: write lists and mappings in YAML's flow style, e.g. "
                "'seeds=[1,2]', or give the key in a --configfile)"
            )
        raise ValueError(f"config error at {where}: {error.message}{hint}")
    fill_defaults(config, schema, schema)
    config["targets"] = target_mapping(config["targets"])
    for name in config["targets"]:
        if name.startswith(REFERENCE_PREFIX):
            raise ValueError(
                f"config error at targets.{name}: names starting with {REFERENCE_PREFIX} are "
                "the Distill article's models (the key references); give the target another name"
            )
    config["combinations"] = expand_grids(config["combinations"])
    for name in combinations():
        hp = combination(name)
        try:
            hyperparameters.check(hp)
        except StepError as err:
            raise ValueError(f"config error at combinations.{name}: {err}") from None


# How a text from --config reads as each type the schema may want (Snakemake gives the parts
# of a list or mapping on its command line as text: seeds=[1,2] is ["1", "2"]).
READ_AS = {
    "integer": int,
    "number": float,
    "boolean": {"true": True, "false": False}.__getitem__,
    "null": {"null": None, "~": None, "": None}.__getitem__,
}


def typed(value, schema, root):
    """``value`` with every text read as the type the schema wants where it wants no text."""
    schema = resolve(schema, root)
    branches = [resolve(b, root) for b in schema.get("anyOf", [])] or [schema]
    if isinstance(value, dict):
        return {k: typed(v, part_schema(branches, k), root) for k, v in value.items()}
    if isinstance(value, list):
        items = next((b["items"] for b in branches if "items" in b), {})
        return [typed(v, items, root) for v in value]
    if not isinstance(value, str):
        return value
    kinds = []
    for branch in branches:
        kind = branch.get("type", [type_name(v) for v in branch.get("enum", [])])
        kinds += kind if isinstance(kind, list) else [kind]
    if "string" in kinds:
        return value
    for kind, read in READ_AS.items():
        if kind in kinds:
            try:
                return read(value.strip().lower() if kind in ("boolean", "null") else value)
            except (KeyError, ValueError):
                pass
    return value


def part_schema(branches, key):
    """The schema of a mapping's ``key`` in whichever branch describes mappings."""
    for branch in branches:
        if key in branch.get("properties", {}):
            return branch["properties"][key]
        if isinstance(branch.get("additionalProperties"), dict):
            return branch["additionalProperties"]
    return {}


def type_name(value):
    return "string" if isinstance(value, str) else "number"


def expand_grids(combos):
    """Every combination with a grid replaced by the combinations of its points."""
    expanded = {}
    for name, hp in combos.items():
        try:
            points = hyperparameters.expand_grid(name, hp)
        except StepError as err:
            raise ValueError(f"config error at combinations.{name}: {err}") from None
        for point in points:
            if point in expanded or (point != name and point in combos):
                raise ValueError(
                    f"config error at combinations.{name}: its grid point {point} is also "
                    "another combination's name"
                )
        expanded.update(points)
    return expanded


def check_per_run(config):
    """A seed is set per run, by the top-level seeds list; say so where one is misplaced."""
    places = {"hyperparameters": config.get("hyperparameters")}
    combos = config.get("combinations")
    if isinstance(combos, dict):
        places.update({f"combinations.{name}": hp for name, hp in combos.items()})
    for where, hp in list(places.items()):
        if isinstance(hp, dict) and isinstance(hp.get("grid"), dict):
            places[f"{where}.grid"] = hp["grid"]
    for where, hp in places.items():
        if isinstance(hp, dict) and "seed" in hp:
            raise ValueError(
                f"config error at {where}.seed: runs take their seeds from the top-level list "
                f"seeds (e.g. seeds: [{hp['seed']}])"
            )


def target_mapping(targets):
    """Name -> emoji or image; a list of emojis, or a string of several, is named by
    the emojis' short names."""
    if isinstance(targets, dict):
        return targets
    try:
        items = [targets] if isinstance(targets, str) else targets
        return named_emojis([e for item in items for e in split_emojis(item)])
    except StepError as err:
        raise ValueError(f"config error at targets: {err}") from None


def resolve(schema, root):
    """The schema, with the one of ``$defs`` that it refers to filled in (its own keys, such
    as a default, win)."""
    if "$ref" in schema:
        own = {k: v for k, v in schema.items() if k != "$ref"}
        return {**root["$defs"][schema["$ref"].split("/")[-1]], **own}
    return schema


def fill_defaults(node, schema, root):
    """Set the defaults the schema declares for missing keys, recursively."""
    schema = resolve(schema, root)
    for key, sub in schema.get("properties", {}).items():
        sub = resolve(sub, root)
        if key not in node and "default" in sub:
            node[key] = sub["default"]
        if isinstance(node.get(key), dict):
            fill_defaults(node[key], sub, root)


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
    return {**config["hyperparameters"], **(config["combinations"][name] or {})}


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


def is_image_path(value):
    return value.lower().endswith(IMAGE_SUFFIXES) or "/" in value or Path(value).is_file()


def emoji_targets():
    """Target name -> Noto code of every emoji target; two targets may not share an emoji."""
    codes = {}
    for name, value in config["targets"].items():
        if is_image_path(value):
            continue
        try:
            code = noto_code(value)
        except StepError as err:
            raise ValueError(f"config error at targets.{name}: {err}") from None
        if code in codes.values():
            raise ValueError(f"config error at targets.{name}: emoji {value} is listed twice")
        codes[name] = code
    return codes


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
    check_unique_keys(workflow.configfiles)
validate_config(
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
    **emoji_targets(),
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


def train_runtime(wildcards, attempt):
    """Minutes a training job asks a scheduler for (nca_steps/job_time.py)."""
    hp = combination(wildcards.combination)
    training = config["training"]
    side = config["target_size"] + 2 * config["target_padding"]
    per_generation = training.get("seconds_per_generation") or job_time.seconds_per_generation(
        hp["pop_size"], hyperparameters.rollout_steps(hp), side * side, training["threads"]
    )
    return job_time.train_minutes(hp["generations"], per_generation, attempt, hp["max_seconds"])


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
    settings = ", ".join(
        f"{h.name} {hp[h.name]}" for h in hyperparameters.HYPERPARAMETERS if h.name in hp
    )
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
