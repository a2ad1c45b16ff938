"""One definition of the hyperparameters: the schema, the command lines and the docs agree."""

from __future__ import annotations

import jsonschema
import pytest
import yaml

from nca_steps import hyperparameters
from nca_steps.errors import StepError
from nca_steps.steps import evaluate, fetch_emoji, prepare_target, render_gif, train
from tests.conftest import ROOT

SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
PREPARE_ARGS = ["--image", "i", "--target-out", "t", "--preview-out", "p", "--info-out", "j"]
TRAIN_ARGS = ["--target", "t", "--params-out", "p", "--metrics-out", "m", "--checkpoint", "c"]
EVALUATE_ARGS = [
    "--params", "p", "--target", "t", "--metrics-out", "m", "--frames-out", "f",
    "--damage-frames-out", "d", "--grown-out", "g", "--at-horizon-out", "h",
]  # fmt: skip


def test_command_line_defaults_are_the_definitions():
    args = train.parse_args(TRAIN_ARGS)
    assert hyperparameters.from_args(args) == hyperparameters.DEFAULTS


@pytest.mark.parametrize(
    ("values", "valid"),
    [
        ({}, True),
        ({k: v for k, v in hyperparameters.DEFAULTS.items() if k != "seed"}, True),
        ({"pop_size": 5}, False),
        ({"lr": 0}, False),
        ({"fire_rate": 1.01}, False),
        ({"algorithm": "cma"}, False),
        ({"popsize": 32}, False),
    ],
)
def test_schema_and_command_line_accept_the_same_values(values, valid):
    schema_ok = jsonschema.Draft202012Validator(hyperparameters.json_schema()).is_valid(values)
    flags = [f"{hyperparameters.BY_NAME[k].flag}={v}" for k, v in values.items() if k != "popsize"]
    try:
        train.parse_args(TRAIN_ARGS + flags)
        cli_ok = "popsize" not in values
    except SystemExit:
        cli_ok = False
    assert schema_ok == cli_ok == valid


def test_seeds_are_a_list_of_valid_seeds_not_a_combination_setting():
    assert "seed" not in hyperparameters.json_schema()["properties"]
    seeds = jsonschema.Draft202012Validator(hyperparameters.seeds_json_schema())
    assert seeds.is_valid([1, 2, 3]) and not seeds.is_valid([]) and not seeds.is_valid([1, 1])
    assert not seeds.is_valid([-1]) and not seeds.is_valid([1.5])
    assert hyperparameters.seeds_json_schema()["default"] == [hyperparameters.DEFAULTS["seed"]]


def test_the_configuration_page_lists_every_hyperparameter_with_its_default():
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for h in hyperparameters.HYPERPARAMETERS:
        assert f"| `{h.name}` | {h.default} |" in page, h.name


@pytest.mark.parametrize(
    ("parse", "required", "flag", "schema_path"),
    [
        (prepare_target.parse_args, PREPARE_ARGS,
         "size", ("target_size",)),
        (prepare_target.parse_args, PREPARE_ARGS,
         "padding", ("target_padding",)),
        (train.parse_args, TRAIN_ARGS, "checkpoint_every", ("training", "checkpoint_every")),
        (train.parse_args, TRAIN_ARGS, "log_every", ("training", "log_every")),
        (train.parse_args, TRAIN_ARGS, "threads", ("training", "threads")),
        (evaluate.parse_args, EVALUATE_ARGS, "horizon", ("evaluation", "horizon")),
        (evaluate.parse_args,
         EVALUATE_ARGS, "rollouts", ("evaluation", "rollouts")),
        (evaluate.parse_args,
         EVALUATE_ARGS, "seed", ("evaluation", "seed")),
        (render_gif.parse_args, ["--frames", "f", "--gif-out", "g"], "zoom", ("render", "zoom")),
        (render_gif.parse_args, ["--frames", "f", "--gif-out", "g"], "fps", ("render", "fps")),
        (fetch_emoji.parse_args, ["--emoji", "e", "--png-out", "p", "--source-out", "s"],
         "timeout", ("emoji", "timeout")),
        (fetch_emoji.parse_args, ["--emoji", "e", "--png-out", "p", "--source-out", "s"],
         "retries", ("emoji", "retries")),
        (fetch_emoji.parse_args, ["--emoji", "e", "--png-out", "p", "--source-out", "s"],
         "sources", ("emoji", "sources")),
        (fetch_emoji.parse_args, ["--emoji", "e", "--png-out", "p", "--source-out", "s"],
         "base_url", ("emoji", "base_url")),
        (fetch_emoji.parse_args, ["--emoji", "e", "--png-out", "p", "--source-out", "s"],
         "flags_url", ("emoji", "flags_url")),
    ],
)  # fmt: skip
def test_step_defaults_and_ranges_equal_the_schemas(parse, required, flag, schema_path):
    """A step run by hand does what the workflow does when the config leaves the key out, and
    takes the values the config does."""
    node = SCHEMA
    for key in schema_path:
        node = node["properties"][key]
    assert getattr(parse(required), flag) == node["default"]
    option = "--" + flag.replace("_", "-")
    for bound in ("minimum", "maximum"):
        if bound in node:  # the step takes the config's extreme values, and no further
            assert getattr(parse([*required, option, str(node[bound])]), flag) == node[bound]
            past = node[bound] + (1 if bound == "maximum" else -1)
            with pytest.raises(SystemExit):
                parse([*required, option, str(past)])


def test_a_grid_expands_to_its_cartesian_product_named_as_paramspace_names_it():
    points = hyperparameters.expand_grid(
        "sweep", {"steps": 8, "grid": {"lr": [0.05, 0.1], "algorithm": ["pgpe", "snes"]}}
    )
    assert points == {
        "sweep_lr~0.05_algorithm~pgpe": {"steps": 8, "lr": 0.05, "algorithm": "pgpe"},
        "sweep_lr~0.05_algorithm~snes": {"steps": 8, "lr": 0.05, "algorithm": "snes"},
        "sweep_lr~0.1_algorithm~pgpe": {"steps": 8, "lr": 0.1, "algorithm": "pgpe"},
        "sweep_lr~0.1_algorithm~snes": {"steps": 8, "lr": 0.1, "algorithm": "snes"},
    }
    assert hyperparameters.expand_grid("plain", None) == {"plain": {}}
    with pytest.raises(StepError, match="lr is both set and in the grid of combination c"):
        hyperparameters.expand_grid("c", {"lr": 0.1, "grid": {"lr": [0.2]}})


def test_a_grid_lists_valid_values_of_hyperparameters():
    grid = jsonschema.Draft202012Validator(hyperparameters.combination_json_schema())
    assert grid.is_valid({"lr": 0.1, "grid": {"pop_size": [16, 32], "algorithm": ["snes"]}})
    assert not grid.is_valid({"grid": {"pop_size": [15]}})
    assert not grid.is_valid({"grid": {"pop_size": []}})
    assert not grid.is_valid({"grid": {"colour": [1]}})
    assert not grid.is_valid({"grid": {}})
