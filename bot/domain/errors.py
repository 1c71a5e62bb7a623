"""Errors the bot reports to people: configuration mistakes."""

from __future__ import annotations


class ConfigError(ValueError):
    """The configuration is wrong; the message names the file, section and key."""
