import pytest

from nca_steps.emoji import noto_code, noto_url
from nca_steps.errors import StepError


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
