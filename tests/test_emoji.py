import pytest
import yaml

from nca_steps.emoji import (
    DEFAULT_BASE_URL,
    DEFAULT_FLAGS_URL,
    flag_iso,
    flag_url,
    from_u_notation,
    named_emojis,
    noto_code,
    noto_url,
    release_tag,
    short_name,
    split_emojis,
    u_notation,
)
from nca_steps.emoji_sources import SHIPPED_RELEASE
from nca_steps.errors import StepError
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("🦎", "u1f98e"),
        ("❤️", "u2764"),  # variation selector dropped
        ("#️⃣", "u0023_20e3"),  # keycap, padded to four digits
        ("👋🏽", "u1f44b_1f3fd"),  # skin tone
        ("🇫🇷", "u1f1eb_1f1f7"),  # flag
        ("👨‍👩‍👧", "u1f468_200d_1f469_200d_1f467"),  # ZWJ sequence
    ],
)
def test_noto_code(text, code):
    assert noto_code(text) == code


@pytest.mark.parametrize("text", ["a", "lizard", "🦎🦎", "", " "])
def test_text_that_is_not_one_emoji_is_refused(text):
    with pytest.raises(StepError, match="is not a single emoji"):
        noto_code(text)


def test_url():
    assert noto_url("u1f98e", "http://h/png/128/") == "http://h/png/128/emoji_u1f98e.png"


def emoji_schema_default(key: str) -> str:
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    return schema["properties"]["emoji"]["properties"][key]["default"]


def test_schema_defaults_are_the_python_ones():
    assert emoji_schema_default("base_url") == DEFAULT_BASE_URL
    assert emoji_schema_default("flags_url") == DEFAULT_FLAGS_URL


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("🇯🇵", "JP"),
        ("🇺🇸", "US"),
        ("🇺🇳", "UN"),
        ("🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", "GB-ENG"),
        ("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "GB-SCT"),
        ("🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f", "GB-WLS"),
        ("🏴", None),  # the black flag alone is an ordinary emoji
        ("🏳️‍🌈", None),  # a ZWJ sequence, in Noto's png/128
        ("🦎", None),
        ("#️⃣", None),
    ],
)
def test_flag_iso(text, iso):
    assert flag_iso(text) == iso


def test_flag_url():
    assert flag_url("GB-ENG", "http://h/png/") == "http://h/png/GB-ENG.png"
    assert flag_url("JP") == f"{DEFAULT_FLAGS_URL}/JP.png"


@pytest.mark.parametrize(
    ("url", "tag"),
    [
        (DEFAULT_BASE_URL, "v2.047"),
        ("https://raw.githubusercontent.com/googlefonts/noto-emoji/v2.048/png/128/", "v2.048"),
        ("https://raw.githubusercontent.com/googlefonts/noto-emoji/main/png/128", None),
        ("http://127.0.0.1:8000/png/128", None),
    ],
)
def test_release_tag(url, tag):
    assert release_tag(url) == tag


def test_shipped_pngs_are_the_release_the_download_reads():
    """Shipped or downloaded, an emoji is the same file: both come from one Noto release."""
    assert SHIPPED_RELEASE == release_tag(DEFAULT_BASE_URL) == release_tag(DEFAULT_FLAGS_URL)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("🦎", "lizard"),
        ("🐠", "tropical_fish"),
        ("🇯🇵", "japan"),
        ("🇨🇮", "cote_divoire"),  # accents and apostrophes dropped
        ("#️⃣", "keycap_number_sign"),
        ("👋🏽", "waving_hand_medium_skin_tone"),
        ("🎃", "jack-o-lantern"),
    ],
)
def test_short_name(text, name):
    assert short_name(text) == name


def test_a_string_of_emojis_is_split_and_named():
    assert named_emojis(split_emojis("🦎🍄 🌵, 🇯🇵")) == {
        "lizard": "🦎",
        "mushroom": "🍄",
        "cactus": "🌵",
        "japan": "🇯🇵",
    }


def test_text_among_emojis_is_refused():
    with pytest.raises(StepError, match=r"'🦎 x 🍄' is not a list of emojis \(x\)"):
        split_emojis("🦎 x 🍄")


def test_two_emojis_with_one_name_are_refused():
    with pytest.raises(StepError, match="❤️ and ❤ are both named 'red_heart'; give the targets"):
        named_emojis(["❤️", "❤"])


@pytest.mark.parametrize(
    ("text", "notation"),
    [
        ("🦎", "U+1F98E"),
        ("❤️", "U+2764 U+FE0F"),
        ("#️⃣", "U+0023 U+FE0F U+20E3"),
        ("🇺🇲", "U+1F1FA U+1F1F2"),
    ],
)
def test_u_notation_is_ascii_and_reads_back(text, notation):
    assert u_notation(text) == notation and notation.isascii()
    assert from_u_notation(notation) == text


@pytest.mark.parametrize("text", ["🦎", "U+1F98E.png", "u+1f98e", "U+1F98EU+FE0F", "logo.png"])
def test_other_text_is_not_u_notation(text):
    assert from_u_notation(text) == text
