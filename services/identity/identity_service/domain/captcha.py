"""Image captcha of the sign-up forms (SPEC ID-2, ID-5).

A challenge is 5 characters drawn from ``CAPTCHA_ALPHABET``: upper-case letters and digits
without the characters that distortion makes hard to tell apart (0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B),
rendered to a PNG by the ``captcha`` package. The service stores the answer (single use, short
lived) and compares the submitted text with ``answer_matches``: case-insensitive, whitespace
ignored, constant time.
"""
from __future__ import annotations

import functools
import hmac
import secrets
from typing import Any, Protocol

from captcha.image import ImageCaptcha

CAPTCHA_LENGTH = 5
CAPTCHA_ALPHABET = "ACEFGHJKMNPRTUVWXY" + "34679"
IMAGE_WIDTH = 200
IMAGE_HEIGHT = 70


class _Chooser(Protocol):
    def choice(self, seq: Any) -> Any: ...


@functools.cache
def _image_captcha() -> ImageCaptcha:
    # One instance per process: it caches the loaded fonts.
    return ImageCaptcha(width=IMAGE_WIDTH, height=IMAGE_HEIGHT)


def new_challenge(rng: _Chooser = secrets) -> tuple[str, bytes]:
    """Return ``(answer, png_bytes)``; ``rng`` (anything with ``choice``) picks the characters."""
    answer = "".join(rng.choice(CAPTCHA_ALPHABET) for _ in range(CAPTCHA_LENGTH))
    return answer, render_image(answer)


def render_image(answer: str) -> bytes:
    """A fresh PNG of ``answer`` (new noise each time: the stored answer is all we keep)."""
    return _image_captcha().generate(answer, format="png").getvalue()


def _normalise(text: str) -> str:
    return "".join(text.split()).upper()


def answer_matches(expected: str, submitted: str | None) -> bool:
    """True if ``submitted`` is ``expected``, ignoring case and whitespace (constant time)."""
    if not isinstance(expected, str) or not isinstance(submitted, str):
        return False
    expected_norm = _normalise(expected)
    if not expected_norm:
        return False
    return hmac.compare_digest(
        expected_norm.encode("utf-8"), _normalise(submitted).encode("utf-8")
    )
