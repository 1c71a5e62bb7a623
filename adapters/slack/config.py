"""`[adapters.slack]`: connection mode, API URL, the names of the secret env vars, replies, admins."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.domain.errors import ConfigError

MODES = ("socket", "http")
VISIBILITY = ("in_channel", "ephemeral")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
KEYS = {
    "mode",
    "host",
    "port",
    "path",
    "bot_token_env",
    "app_token_env",
    "signing_secret_env",
    "slash_replies",
    "admins",
    "unfurl",
    "api_url",
}
DEFAULT_API_URL = "https://slack.com/api/"


@dataclass(frozen=True)
class SlackSecrets:
    bot_token: str
    app_token: str | None = None  # Socket Mode only
    signing_secret: str | None = None  # HTTP mode only

    def __repr__(self) -> str:  # never print a secret
        return "SlackSecrets(<hidden>)"


@dataclass(frozen=True)
class SlackConfig:
    mode: str = "socket"
    host: str = "0.0.0.0"
    port: int = 3000
    path: str = "/slack/events"
    bot_token_env: str = "SLACK_BOT_TOKEN"
    app_token_env: str = "SLACK_APP_TOKEN"
    signing_secret_env: str = "SLACK_SIGNING_SECRET"
    slash_replies: str = "in_channel"
    admins: tuple[str, ...] = ()
    unfurl: bool = True
    api_url: str | None = None  # None: Slack's own (DEFAULT_API_URL); GovSlack, a gateway, a fake

    @property
    def base_url(self) -> str:
        """The Web API base URL every call (Socket Mode's apps.connections.open too) goes to."""
        return self.api_url or DEFAULT_API_URL

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any] | None, where: str) -> SlackConfig:
        """Validate the raw `[adapters.slack]` table; errors name the file, section and key."""
        d = dict(d or {})
        section = f"{where}: [adapters.slack]"
        for key in d:
            if key not in KEYS:
                raise ConfigError(
                    f"{section} unknown key {key!r}; known: {', '.join(sorted(KEYS))}"
                )
        mode = _choice(d, "mode", "socket", MODES, section)
        host = _string(d, "host", "0.0.0.0", section)
        port = d.get("port", 3000)
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ConfigError(f"{section} port: expected a port number 1-65535, got {port!r}")
        path = _string(d, "path", "/slack/events", section)
        if not path.startswith("/"):
            raise ConfigError(f"{section} path: expected a URL path like '/slack/events'")
        envs = {}
        for key, default in (
            ("bot_token_env", "SLACK_BOT_TOKEN"),
            ("app_token_env", "SLACK_APP_TOKEN"),
            ("signing_secret_env", "SLACK_SIGNING_SECRET"),
        ):
            name = _string(d, key, default, section)
            if not _ENV_NAME.match(name):
                raise ConfigError(
                    f"{section} {key}: expected the NAME of an environment variable "
                    f"(e.g. {default!r}), not the secret itself"
                )
            envs[key] = name
        admins = d.get("admins", [])
        if not isinstance(admins, list) or not all(isinstance(a, str) for a in admins):
            raise ConfigError(
                f"{section} admins: expected a list of Slack user ids like 'U0123ABCD'"
            )
        for admin in admins:
            if not _USER_ID.match(admin.strip()):
                raise ConfigError(
                    f"{section} admins: {admin!r} is not a Slack user id (like 'U0123ABCD'; "
                    f"copy it from the user's profile, 'Copy member ID')"
                )
        unfurl = d.get("unfurl", True)
        if not isinstance(unfurl, bool):
            raise ConfigError(f"{section} unfurl: expected true or false, got {unfurl!r}")
        api_url = d.get("api_url")
        if api_url is not None:
            api_url = checked_url(api_url, "api_url", section, example=DEFAULT_API_URL)
            api_url = api_url if api_url.endswith("/") else api_url + "/"
        return cls(
            api_url=api_url,
            mode=mode,
            host=host,
            port=port,
            path=path,
            bot_token_env=envs["bot_token_env"],
            app_token_env=envs["app_token_env"],
            signing_secret_env=envs["signing_secret_env"],
            slash_replies=_choice(d, "slash_replies", "in_channel", VISIBILITY, section),
            admins=tuple(a.strip() for a in admins),
            unfurl=unfurl,
        )

    def secrets(self, env: Mapping[str, str], where: str = "config") -> SlackSecrets:
        """Read the tokens from the environment; a missing one is a ConfigError naming its variable."""

        def need(key: str, name: str, what: str) -> str:
            value = (env.get(name) or "").strip()
            if not value:
                raise ConfigError(
                    f"{where}: [adapters.slack] {key}: the environment variable {name} "
                    f"is not set ({what})"
                )
            return value

        bot = need("bot_token_env", self.bot_token_env, "the bot token, xoxb-...")
        if self.mode == "socket":
            app = need("app_token_env", self.app_token_env, "the app-level token, xapp-...")
            return SlackSecrets(bot_token=bot, app_token=app)
        secret = need("signing_secret_env", self.signing_secret_env, "the app's signing secret")
        return SlackSecrets(bot_token=bot, signing_secret=secret)


def _string(d: Mapping[str, Any], key: str, default: str, section: str) -> str:
    value = d.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{section} {key}: expected a non-empty string, got {value!r}")
    return value.strip()


def _choice(
    d: Mapping[str, Any], key: str, default: str, choices: tuple[str, ...], section: str
) -> str:
    value = d.get(key, default)
    if value not in choices:
        raise ConfigError(
            f"{section} {key}: expected one of {', '.join(repr(c) for c in choices)}, got {value!r}"
        )
    return str(value)


def checked_url(
    value: Any,
    key: str,
    section: str,
    *,
    example: str,
    schemes: tuple[str, ...] = ("http", "https"),
) -> str:
    """A URL with one of `schemes` and a host, stripped; otherwise a ConfigError naming the key."""
    text = value.strip() if isinstance(value, str) else ""
    parts = urlsplit(text)
    if parts.scheme not in schemes or not parts.hostname:
        raise ConfigError(
            f"{section} {key}: expected a {' or '.join(s + '://' for s in schemes)} URL "
            f"like {example!r}, got {value!r}"
        )
    return text


def https_proxy(env: Mapping[str, str], url: str) -> str | None:
    """The proxy for `url` from HTTPS_PROXY / https_proxy, unless NO_PROXY / no_proxy exempts its host.

    Corporate networks reach Slack and Discord only through such a proxy.
    """
    proxy = (env.get("HTTPS_PROXY") or env.get("https_proxy") or "").strip()
    if not proxy:
        return None
    host = (urlsplit(url).hostname or "").lower()
    exempt = (env.get("NO_PROXY") or env.get("no_proxy") or "").split(",")
    for entry in (e.strip().lower().lstrip(".") for e in exempt):
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return None
    return proxy
