"""SPEC ID-2, ID-5: sign-up captcha."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from identity_service.domain.captcha import (
    CAPTCHA_ALPHABET,
    CAPTCHA_LENGTH,
    answer_matches,
    new_challenge,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_alphabet_is_upper_case_and_digits_without_look_alikes():
    assert CAPTCHA_LENGTH == 5
    assert all(c.isupper() or c.isdigit() for c in CAPTCHA_ALPHABET)
    assert set("0OQD1IL2Z5S8B").isdisjoint(CAPTCHA_ALPHABET)
    assert any(c.isdigit() for c in CAPTCHA_ALPHABET)
    assert len(set(CAPTCHA_ALPHABET)) == len(CAPTCHA_ALPHABET)


def test_new_challenge_returns_answer_and_real_png():
    answer, png = new_challenge()
    assert len(answer) == 5 and set(answer) <= set(CAPTCHA_ALPHABET)
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert image.format == "PNG"
    assert image.size == (200, 70)


def test_challenges_are_random():
    answers = {new_challenge()[0] for _ in range(5)}
    assert len(answers) > 1


def test_rng_is_injectable():
    class Sequence:
        def __init__(self):
            self.calls = 0

        def choice(self, seq):
            self.calls += 1
            return seq[self.calls - 1]

    answer, png = new_challenge(rng=Sequence())
    assert answer == CAPTCHA_ALPHABET[:5]
    assert png.startswith(PNG_SIGNATURE)


@pytest.mark.parametrize(
    ("submitted", "expected_result"),
    [
        ("K7MXA", True),
        ("k7mxa", True),
        ("  K7mXa \n", True),
        ("K7 MXA", True),
        ("K7MX", False),
        ("K7MXAA", False),
        ("K7MXB", False),
        ("", False),
        (None, False),
    ],
)
def test_answer_matches(submitted, expected_result):
    assert answer_matches("K7MXA", submitted) is expected_result


def test_empty_expected_never_matches():
    assert answer_matches("", "") is False
    assert answer_matches("   ", "") is False
    assert answer_matches(None, "K7MXA") is False
