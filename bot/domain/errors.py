"""Errors the bot reports to people: configuration mistakes and unusable databases."""

from __future__ import annotations


class ConfigError(ValueError):
    """The configuration is wrong; the message names the file, section and key."""


class StorageError(RuntimeError):
    """The database cannot be used as asked: one line naming the file and what to do about it."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path
