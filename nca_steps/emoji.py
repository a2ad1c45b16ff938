"""Emoji text -> Noto Emoji PNG file name and URL.

Noto names a PNG after the emoji's code points in lowercase hex (at least four digits),
joined by underscores, with the variation selector U+FE0F left out:
"🦎" -> ``emoji_u1f98e.png``, "#️⃣" -> ``emoji_u0023_20e3.png``,
"👋🏽" -> ``emoji_u1f44b_1f3fd.png``, "🇫🇷" -> ``emoji_u1f1eb_1f1f7.png`` (the cache's name).

Noto's png/128 has no flags: Noto waves region-flags' PNGs into the font. These are named by ISO
code ("🇫🇷" -> ``FR.png``, England's tag sequence -> ``GB-ENG.png``); the download takes them flat.
"""

from __future__ import annotations

import re
import unicodedata

import emoji as emoji_db

from nca_steps.errors import StepError

VARIATION_SELECTOR = 0xFE0F
# Pinned to a release tag so that a rerun downloads the same pixels; the schema's default for
# emoji.base_url is the same string (tests/test_emoji.py checks).
DEFAULT_BASE_URL = "https://raw.githubusercontent.com/googlefonts/noto-emoji/v2.047/png/128"
DEFAULT_FLAGS_URL = (
    "https://raw.githubusercontent.com/googlefonts/noto-emoji/v2.047/third_party/region-flags/png"
)
PROBE_CODE = "u1f600"  # 😀: in every Noto release, so its 404 means the folder is not Noto's
PROBE_FLAG = "JP"  # 🇯🇵: in every release's region-flags
REGIONAL_INDICATOR_A = 0x1F1E6
BLACK_FLAG = 0x1F3F4  # starts a subdivision flag: tag letters follow, then CANCEL_TAG
TAG_BASE = 0xE0000  # tag character = TAG_BASE + its ASCII code
CANCEL_TAG = 0xE007F
RELEASE_IN_URL = re.compile(r"/(v\d+(?:\.\d+)+)/")
U_NOTATION = re.compile(r"U\+[0-9A-F]{4,6}(?: U\+[0-9A-F]{4,6})*")


def u_notation(text: str) -> str:
    """``text``'s code points in Unicode's U+ notation ("🦎" -> ``U+1F98E``, "❤️" ->
    ``U+2764 U+FE0F``): ASCII, so an emoji passes a shell command under any locale (a process's
    arguments are encoded in the locale's, which may be ASCII)."""
    return " ".join(f"U+{ord(ch):04X}" for ch in text)


def from_u_notation(text: str) -> str:
    """The text that ``text`` spells in U+ notation; any other text as it is."""
    if not U_NOTATION.fullmatch(text):
        return text
    return "".join(chr(int(point[2:], 16)) for point in text.split())


def noto_code(text: str) -> str:
    """The ``u...`` code that names ``text``'s Noto PNG; refuses text that is not one emoji."""
    if not emoji_db.is_emoji(text):
        raise StepError(
            f"{text!r} is not a single emoji; give one emoji (e.g. '🦎') or an image file path"
        )
    points = [cp for cp in map(ord, text) if cp != VARIATION_SELECTOR]
    return "u" + "_".join(f"{cp:04x}" for cp in points)


def split_emojis(text: str) -> list[str]:
    """The emojis of a string such as "🦎🍄 🌵" (spaces and commas between them are fine)."""
    found = emoji_db.emoji_list(text)
    stray = emoji_db.replace_emoji(text, replace=" ").replace(",", " ").split()
    if stray or not found:
        raise StepError(f"{text!r} is not a list of emojis ({' '.join(stray) or 'none found'})")
    return [e["emoji"] for e in found]


def short_name(text: str) -> str:
    """A target name from the emoji's CLDR short name: 🦎 -> ``lizard``, 🇨🇮 -> ``cote_divoire``,
    #️⃣ -> ``keycap_number_sign``; letters, digits, ``_``, ``.`` and ``-`` only."""
    data = emoji_db.EMOJI_DATA.get(text) or emoji_db.EMOJI_DATA.get(text + "\ufe0f")
    if data is None:
        raise StepError(f"{text!r} is not a single emoji; give one emoji (e.g. '🦎')")
    name = data["en"].strip(":").replace("#", "number_sign").replace("*", "asterisk")
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9.-]+", "_", name).strip("_.-")


def named_emojis(emojis: list[str]) -> dict[str, str]:
    """Target name -> emoji for a list of emojis, each named by :func:`short_name`."""
    named: dict[str, str] = {}
    for text in emojis:
        name = short_name(text)
        if name in named:
            raise StepError(
                f"{named[name]} and {text} are both named {name!r}; give the targets as a "
                "mapping (name: emoji) to name them yourself"
            )
        named[name] = text
    return named


def noto_file_name(code: str) -> str:
    return f"emoji_{code}.png"


def noto_url(code: str, base_url: str = DEFAULT_BASE_URL) -> str:
    return f"{base_url.rstrip('/')}/{noto_file_name(code)}"


def flag_iso(text: str) -> str | None:
    """The ISO code that names ``text``'s region-flags PNG ("🇯🇵" -> ``JP``, England's tag
    sequence -> ``GB-ENG``), or None when ``text`` is not a country or subdivision flag."""
    points = [ord(ch) for ch in text]
    if len(points) == 2 and all(0 <= p - REGIONAL_INDICATOR_A < 26 for p in points):
        return "".join(chr(ord("A") + p - REGIONAL_INDICATOR_A) for p in points)
    if len(points) > 4 and points[0] == BLACK_FLAG and points[-1] == CANCEL_TAG:
        tag = "".join(chr(p - TAG_BASE) for p in points[1:-1]).upper()
        return f"{tag[:2]}-{tag[2:]}"
    return None


def flag_url(iso: str, flags_url: str = DEFAULT_FLAGS_URL) -> str:
    return f"{flags_url.rstrip('/')}/{iso}.png"


def release_tag(url: str) -> str | None:
    """The Noto release tag in ``url`` (``.../noto-emoji/v2.047/png/128`` -> ``v2.047``), if any:
    recorded beside each download so a cached PNG says which release it is."""
    match = RELEASE_IN_URL.search(url)
    return match.group(1) if match else None
