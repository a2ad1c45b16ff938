"""Emoji text -> Noto Emoji PNG file name and URL.

Noto names a PNG after the emoji's code points in lowercase hex (at least four digits),
joined by underscores, with the variation selector U+FE0F left out:
"🦎" -> ``emoji_u1f98e.png``, "#️⃣" -> ``emoji_u0023_20e3.png``,
"👋🏽" -> ``emoji_u1f44b_1f3fd.png``, "🇫🇷" -> ``emoji_u1f1eb_1f1f7.png``.
"""

from __future__ import annotations

import re

import emoji as emoji_db

from nca_steps.errors import StepError

VARIATION_SELECTOR = 0xFE0F
# Pinned to a release tag so that a rerun downloads the same pixels; the schema's default for
# emoji.base_url is the same string (tests/test_emoji.py checks).
DEFAULT_BASE_URL = "https://raw.githubusercontent.com/googlefonts/noto-emoji/v2.047/png/128"
PROBE_CODE = "u1f600"  # 😀: in every Noto release, so its 404 means the folder is not Noto's
RELEASE_IN_URL = re.compile(r"/(v\d+(?:\.\d+)+)/")


def noto_code(text: str) -> str:
    """The ``u...`` code that names ``text``'s Noto PNG; refuses text that is not one emoji."""
    if not emoji_db.is_emoji(text):
        raise StepError(
            f"{text!r} is not a single emoji; give one emoji (e.g. '🦎') or an image file path"
        )
    points = [cp for cp in map(ord, text) if cp != VARIATION_SELECTOR]
    return "u" + "_".join(f"{cp:04x}" for cp in points)


def noto_file_name(code: str) -> str:
    return f"emoji_{code}.png"


def noto_url(code: str, base_url: str = DEFAULT_BASE_URL) -> str:
    return f"{base_url.rstrip('/')}/{noto_file_name(code)}"


def release_tag(url: str) -> str | None:
    """The Noto release tag in ``url`` (``.../noto-emoji/v2.047/png/128`` -> ``v2.047``), if any:
    recorded beside each download so a cached PNG says which release it is."""
    match = RELEASE_IN_URL.search(url)
    return match.group(1) if match else None
