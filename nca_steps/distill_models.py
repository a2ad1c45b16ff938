"""The Distill article's own trained NCAs, read from its 8-bit JSON into our flat vector.

"Growing Neural Cellular Automata" (Mordvintsev, Randazzo, Niklasson, Levin; Distill, 2020)
published its models in its repository (distillpub/post--growing-ca, CC-BY 4.0) as
``public/webgl_models8/<experiment>_<emoji>.json``: a list of two dense layers, 48 -> 128 and
128 -> 16, each ``(in_ch + 1) * out_ch`` bytes in base64, row-major, one row per input and a
last row for the bias; a byte stands for ``(byte / 255 - 0.5) * weight_scale`` (the bias row:
``bias_scale``), as the article's ``public/ca.js`` reads them. The 48 inputs are the 16 channels,
then their Sobel-x, then their Sobel-y: our perception's order (``nca_steps.model.perceive``),
so the rows carry over as they are. Grown by ``nca_steps.model.rollout`` on a 72x72 grid, the
article's lizard comes out in its 2020 Noto drawing, head to the upper left.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import quote

import numpy as np

from nca_steps.emoji import short_name
from nca_steps.errors import StepError

# Where the models are published: the article's repository at a pinned commit (its files never
# change there), under its licence, which asks for this attribution.
COMMIT = "a12c7efa541b5770043a8d5470bffeacfd7b0435"
DEFAULT_MODELS_URL = (
    f"https://raw.githubusercontent.com/distillpub/post--growing-ca/{COMMIT}/public/webgl_models8"
)
LICENCE = "CC-BY 4.0"
ATTRIBUTION = (
    'Mordvintsev, Randazzo, Niklasson, Levin, "Growing Neural Cellular Automata", Distill, '
    "2020, https://distill.pub/2020/growing-ca/"
)
EMOJIS = ("🦎", "🦋", "🐠", "😀", "🎄", "🥨", "🕸", "💥", "👁", "🐞")  # each has all three

# The article's experiments by our names, and the settings its models were trained with.
EXPERIMENTS = {"growing": "ex1", "persistent": "ex2", "regenerating": "ex3"}
CHANNELS, HIDDEN, FIRE_RATE = 16, 128, 0.5
TARGET_SIZE, PADDING = 40, 16  # a 40-px emoji padded by 16 on every side ...
GRID = TARGET_SIZE + 2 * PADDING  # ... on a 72 x 72 grid
# Its training grew each batch for a random 64 to 96 steps: 96 is the horizon its models reach,
# and where we evaluate them (the loss taken there only, as the article's).
STEPS = 96
SETTINGS = {
    "channels": CHANNELS, "hidden": HIDDEN, "fire_rate": FIRE_RATE,
    "steps": STEPS, "loss_every": STEPS,
}  # fmt: skip
LAYERS = ((3 * CHANNELS, HIDDEN), (HIDDEN, CHANNELS))  # (in_ch, out_ch) of each dense layer


def by_name() -> dict[str, str]:
    """The article's emojis by their short names (lizard -> 🦎), as a config names them."""
    return {short_name(emoji): emoji for emoji in EMOJIS}


def references_json_schema() -> dict:
    """The config's ``references``: emoji name -> a list of the article's experiments."""
    return {
        "type": "object",
        "propertyNames": {"enum": list(by_name())},
        "additionalProperties": {
            "type": "array", "minItems": 1, "uniqueItems": True,
            "items": {"enum": list(EXPERIMENTS)},
        },
    }  # fmt: skip


def model_url(experiment: str, emoji: str, models_url: str = DEFAULT_MODELS_URL) -> str:
    """The URL of the article's ``experiment`` model of ``emoji`` (its file name percent-encoded:
    ``ex2_%F0%9F%A6%8E.json``); raises StepError for an experiment or emoji it has none of."""
    if experiment not in EXPERIMENTS:
        raise StepError(f"experiment {experiment!r} is not the article's; valid: "
                        f"{', '.join(EXPERIMENTS)}")  # fmt: skip
    if emoji not in EMOJIS:
        raise StepError(f"the article has no model of {emoji}; it has {' '.join(EMOJIS)}")
    return f"{models_url.rstrip('/')}/{quote(f'{EXPERIMENTS[experiment]}_{emoji}.json')}"


def dense_layer(spec: Any, shape: tuple[int, int], where: str) -> tuple[np.ndarray, np.ndarray]:
    """One layer's ``(kernel (in_ch, out_ch), bias (out_ch,))`` from its JSON entry.

    Raises StepError, naming ``where``, for an entry of another shape or an unreadable one."""
    in_ch, out_ch = shape
    try:
        if (spec["in_ch"], spec["out_ch"], spec["type"]) != (in_ch, out_ch, "uint8"):
            raise StepError(
                f"{where} is {spec['in_ch']} -> {spec['out_ch']} {spec['type']}; the article's "
                f"model has {in_ch} -> {out_ch} uint8"
            )
        raw = np.frombuffer(base64.b64decode(spec["data_b64"], validate=True), np.uint8)
        weight_scale, bias_scale = float(spec["weight_scale"]), float(spec["bias_scale"])
    except (KeyError, TypeError, ValueError, binascii.Error) as err:
        raise StepError(f"{where} is not one of the article's dense layers ({err!r})") from err
    if raw.size != (in_ch + 1) * out_ch:
        raise StepError(f"{where} holds {raw.size} bytes; {in_ch} -> {out_ch} needs "
                        f"{(in_ch + 1) * out_ch}")  # fmt: skip
    rows = raw.reshape(in_ch + 1, out_ch).astype(np.float32) / 255.0 - 0.5
    return rows[:-1] * weight_scale, rows[-1] * bias_scale


def article_params(text: str | bytes, name: str = "model") -> np.ndarray:
    """The flat parameter vector ``(8336,)`` float32 (layout: ``nca_steps.model``) of one of the
    article's JSON models, given its text; ``name`` names it in errors.

    Raises StepError in one line for text that is not such a model."""
    try:
        layers = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise StepError(f"{name} is not JSON ({err})") from err
    if not isinstance(layers, list) or len(layers) != len(LAYERS):
        raise StepError(f"{name} is not a list of the article's {len(LAYERS)} dense layers")
    (w1, b1), (w2, b2) = (
        dense_layer(spec, shape, f"{name} layer {i + 1}")
        for i, (spec, shape) in enumerate(zip(layers, LAYERS, strict=True))
    )
    flat = np.concatenate([b1, w1.ravel(), b2, w2.ravel()]).astype(np.float32)
    assert flat.shape == (sum((in_ch + 1) * out_ch for in_ch, out_ch in LAYERS),)
    return flat
