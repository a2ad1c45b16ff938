"""The workflow's config checked as the Snakefile reads it (workflow/rules/common.smk calls
``validate``): the JSON schema in workflow/schemas/ with the hyperparameters' part derived from
nca_steps.hyperparameters, then what a schema cannot say; every problem one line,
``config error at <key>: ...``. No JAX here: every snakemake command reads this."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml

from nca_steps import distill_models, hyperparameters
from nca_steps.emoji import named_emojis, noto_code, split_emojis
from nca_steps.errors import StepError

# The Distill article's models (config key references) are runs of targets named article-<emoji
# name>; a user's target may not take such a name.
REFERENCE_PREFIX = "article-"
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


def check_unique_keys(paths: list[str]) -> None:
    """Raises ValueError where a config file gives a key twice in one mapping."""
    for path in paths:
        with open(path, encoding="utf-8") as f:
            yaml.load(f, Loader=UniqueKeyLoader)


def validate(config: dict, schema_file: str | Path, command_line: dict | None = None) -> None:
    """Check ``config`` (Snakemake's, changed in place) against the schema in ``schema_file``:
    ``command_line``'s values (``--config``: text) read as the schema's types, the schema's
    defaults filled in, targets given as a list named, grids expanded into combinations.

    Raises ValueError, one line naming the key (``config error at seeds.0: ...``), at the
    first problem: the schema's, then a seed out of place, an ``article-`` target, an emoji
    that is no Noto emoji or is listed twice, a grid point named like another combination, a
    ``start_from`` that names no combination of the same model or makes a cycle, and settings
    that cannot run together (nca_steps.hyperparameters.check)."""
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
    check_starts(config)
    emoji_codes(config["targets"])
    for name in config["combinations"]:
        hp = combination(config, name)
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


def typed(value: object, schema: dict, root: dict) -> object:
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


def part_schema(branches: list[dict], key: str) -> dict:
    """The schema of a mapping's ``key`` in whichever branch describes mappings."""
    for branch in branches:
        if key in branch.get("properties", {}):
            return branch["properties"][key]
        if isinstance(branch.get("additionalProperties"), dict):
            return branch["additionalProperties"]
    return {}


def type_name(value: object) -> str:
    return "string" if isinstance(value, str) else "number"


def expand_grids(combos: dict) -> dict:
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


def check_per_run(config: dict) -> None:
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


def target_mapping(targets: dict | list | str) -> dict[str, str]:
    """Name -> emoji or image; a list of emojis, or a string of several, is named by
    the emojis' short names."""
    if isinstance(targets, dict):
        return targets
    try:
        items = [targets] if isinstance(targets, str) else targets
        return named_emojis([e for item in items for e in split_emojis(item)])
    except StepError as err:
        raise ValueError(f"config error at targets: {err}") from None


def resolve(schema: dict, root: dict) -> dict:
    """The schema, with the one of ``$defs`` that it refers to filled in (its own keys, such
    as a default, win)."""
    if "$ref" in schema:
        own = {k: v for k, v in schema.items() if k != "$ref"}
        return {**root["$defs"][schema["$ref"].split("/")[-1]], **own}
    return schema


def fill_defaults(node: dict, schema: dict, root: dict) -> None:
    """Set the defaults the schema declares for missing keys, recursively."""
    schema = resolve(schema, root)
    for key, sub in schema.get("properties", {}).items():
        sub = resolve(sub, root)
        if key not in node and "default" in sub:
            node[key] = sub["default"]
        if isinstance(node.get(key), dict):
            fill_defaults(node[key], sub, root)


def combination(config: dict, name: str) -> dict:
    """A combination's full hyperparameters: the shared ones, overridden by its own."""
    own = config["combinations"][name] or {}
    return {
        **config["hyperparameters"],
        **{k: v for k, v in own.items() if k != hyperparameters.START_FROM},
    }


def start_from(config: dict, name: str) -> str | None:
    """The combination whose runs combination ``name``'s runs continue."""
    return (config["combinations"][name] or {}).get(hyperparameters.START_FROM)


def started_generations(config: dict, name: str) -> int:
    """The generations a run of combination ``name`` takes over from the run it continues
    (0 without a start_from): its own ``generations`` count from its start's first."""
    start = start_from(config, name)
    return 0 if start is None else combination(config, start)["generations"]


def check_starts(config: dict) -> None:
    """Every ``start_from`` names a combination, no chain of them comes back to where it
    began, and each start is a search its follower can continue (the same
    hyperparameters.CONTINUED, fewer generations); raises ValueError, one line, where not."""
    combos = config["combinations"]
    starts = {name: start for name in combos if (start := start_from(config, name)) is not None}
    where = f"config error at combinations.{{}}.{hyperparameters.START_FROM}"
    for name, start in starts.items():
        if start not in combos:
            others = ", ".join(n for n in combos if n != name) or "none: add it"
            raise ValueError(
                f"{where.format(name)}: {start!r} is no combination; use one of {others}"
            )
    for name in starts:
        chain = [name]
        while (start := starts.get(chain[-1])) is not None:
            if start in chain:
                raise ValueError(f"{where.format(name)}: {' -> '.join([*chain, start])} is a cycle")
            chain.append(start)
    defaults = {k: hyperparameters.DEFAULTS[k] for k in (*hyperparameters.CONTINUED, "generations")}
    for name, start in starts.items():
        mine = {**defaults, **combination(config, name)}
        theirs = {**defaults, **combination(config, start)}
        differ = [k for k in hyperparameters.CONTINUED if mine[k] != theirs[k]]
        if differ:
            raise ValueError(
                f"{where.format(name)}: {start} trains "
                + ", ".join(f"{k} {theirs[k]}" for k in differ)
                + f", {name} "
                + ", ".join(f"{k} {mine[k]}" for k in differ)
                + "; a run continues only a search of its own "
                + ", ".join(hyperparameters.CONTINUED)
            )
        if mine["generations"] <= theirs["generations"]:
            raise ValueError(
                f"{where.format(name)}: {start} trains {theirs['generations']} generations, "
                f"{name} {mine['generations']}; a run's generations count from its start's "
                f"first, so give {name} more than {theirs['generations']}"
            )


def is_image_path(value: str) -> bool:
    return value.lower().endswith(IMAGE_SUFFIXES) or "/" in value or Path(value).is_file()


def emoji_codes(targets: dict[str, str]) -> dict[str, str]:
    """Target name -> Noto code of every emoji target; two targets may not share an emoji."""
    codes: dict[str, str] = {}
    for name, value in targets.items():
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
