"""Logging setup: the level (`-v` wins over `[bot] log_level`) and a filter that keeps secrets out.

The filter sits on every root handler: whatever a logger prints (third-party ones included) passes
through it, and the value of every secret environment variable the config names is replaced by
`***` in the message, its arguments, the traceback and the stack.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from bot.config import Config

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"
MIN_SECRET = 4  # shorter values would mask ordinary words; no real token is that short
# their debug lines print OAuth keys and signatures (client_key=..., resource_owner_key=...)
NOISY = ("requests_oauthlib", "oauthlib")


class RedactSecrets(logging.Filter):
    """Replaces every known secret value in a record with ***; never drops a record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("redact-secrets")
        self.secrets: tuple[str, ...] = ()
        self.set_secrets(secrets)

    def set_secrets(self, secrets: Iterable[str]) -> None:
        forms = set()
        for value in secrets:
            value = value.strip()
            if len(value) >= MIN_SECRET:
                forms.update({value, quote(value, safe=""), quote(value)})
        self.secrets = tuple(sorted(forms, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: show its raw parts, redacted
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, self.redact(text)
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_filter = RedactSecrets()
_verbose = False  # `hotpapers -v`: DEBUG whatever the config says


def configure_cli(verbose: bool) -> None:
    """The command line's first step: DEBUG with -v, else WARNING until a config is read."""
    global _verbose
    _verbose = verbose
    configure(logging.DEBUG if verbose else logging.WARNING)


def configure(level: int | str, secrets: Iterable[str] = ()) -> None:
    """Set the root level, make sure there is a stderr handler, and redact `secrets` everywhere."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format=FORMAT)
    root.setLevel(level)
    _filter.set_secrets(secrets)
    for handler in root.handlers:
        if _filter not in handler.filters:
            handler.addFilter(_filter)
    for name in NOISY:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))


def configure_logging(
    config: Config, *, verbose: bool | None = None, env: Mapping[str, str] | None = None
) -> None:
    """The level from `[bot] log_level` (DEBUG with -v: `verbose`, or the CLI's flag when None;
    WARNING with no config file, so the console stays clean); the config's secrets redacted."""
    env = os.environ if env is None else env
    secrets: list[str] = []
    if config.adapters or config.sources:  # only their tables name secrets
        from bot.config_check import secret_variables

        secrets = [env[name] for name in secret_variables(config) if env.get(name)]
    if verbose if verbose is not None else _verbose:
        level: int | str = logging.DEBUG
    else:
        level = logging.WARNING if config.is_default else config.log_level
    configure(level, secrets)
