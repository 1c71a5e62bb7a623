"""The redaction filter: a secret never reaches a log handler, in the message, its arguments,
a URL-quoted form or a traceback; other text is left alone."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logs import RedactSecrets

SECRET = "tok/en+SECRET=42"


@pytest.fixture
def printed() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets([SECRET, "ab"]))  # too short to mask: left alone
    logger = logging.getLogger("some.third.party")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield logger, out
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def test_every_form_of_a_secret_is_masked(printed: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = printed
    logger.debug("Signing request client_key=%s, resource_owner_key=%r", SECRET, SECRET)
    logger.info("GET /search?token=tok%2Fen%2BSECRET%3D42 ab")
    try:
        raise RuntimeError(f"refused {SECRET}")
    except RuntimeError:
        logger.exception("call failed")
    text = out.getvalue()
    assert SECRET not in text and "tok%2Fen" not in text
    assert "client_key=***, resource_owner_key='***'" in text
    assert "token=*** ab" in text  # the 2-letter value is not a secret worth masking
    assert "RuntimeError: refused ***" in text and "Traceback" in text


def test_a_record_with_bad_arguments_is_still_shown_masked(
    printed: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = printed
    logger.warning("two %s %s but one", SECRET)
    assert SECRET not in out.getvalue() and "two" in out.getvalue()
