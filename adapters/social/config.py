"""`[adapters.x]`, `[adapters.bluesky]`, `[adapters.mastodon]`: secret env names, budget, base URL."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.errors import ConfigError

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
VISIBILITIES = ("public", "unlisted", "private", "direct")

# platform -> (secret key -> default env var name, what it is)
SECRETS: dict[str, dict[str, tuple[str, str]]] = {
    "x": {
        "api_key_env": ("X_API_KEY", "the app's API key (consumer key)"),
        "api_secret_env": ("X_API_SECRET", "the app's API key secret"),
        "access_token_env": ("X_ACCESS_TOKEN", "the bot account's access token"),
        "access_secret_env": ("X_ACCESS_SECRET", "the bot account's access token secret"),
    },
    "bluesky": {
        "handle_env": ("BSKY_HANDLE", "the bot account's handle"),
        "app_password_env": ("BSKY_APP_PASSWORD", "an app password of the bot account"),
    },
    "mastodon": {
        "access_token_env": ("MASTODON_ACCESS_TOKEN", "the bot account's access token"),
    },
}
DEFAULT_BASE = {
    "x": "https://api.twitter.com",
    "bluesky": "https://bsky.social",
    "mastodon": "",
}
DEFAULT_BUDGET = {"x": 17, "bluesky": 300, "mastodon": 300}  # X free tier: 17 posts a day


def keys(platform: str) -> set[str]:
    """The keys an `[adapters.<platform>]` table may have."""
    known = {"base_url", "daily_budget", "thread", *SECRETS[platform]}
    return known | ({"visibility"} if platform == "mastodon" else set())


NEEDS_PAGE = "thread = false needs [adapters.web] public_url (the page the one post links to)"


@dataclass(frozen=True)
class SocialConfig:
    platform: str
    base_url: str
    daily_budget: int | None
    secret_envs: tuple[tuple[str, str], ...]  # (config key, env var NAME)
    visibility: str = "public"  # Mastodon only
    thread: bool = True  # False: a digest is ONE post linking its page ([adapters.web] public_url)

    @classmethod
    def from_mapping(
        cls, platform: str, d: Mapping[str, Any] | None, where: str = "config"
    ) -> SocialConfig:
        """Validate a raw `[adapters.<platform>]` table; errors name the file, section and key."""
        if platform not in SECRETS:
            raise ConfigError(f"{where}: [adapters.{platform}] is not a social platform")
        d = dict(d or {})
        section = f"{where}: [adapters.{platform}]"
        known = keys(platform)
        for key in d:
            if key not in known:
                raise ConfigError(
                    f"{section} unknown key {key!r}; known: {', '.join(sorted(known))}"
                )
        base = d.get("base_url", DEFAULT_BASE[platform])
        if not isinstance(base, str) or not re.match(r"^https?://[^\s/]+", base.strip()):
            raise ConfigError(
                f"{section} base_url: expected an http(s) URL"
                + (
                    " (your instance, e.g. 'https://mastodon.social')"
                    if platform == "mastodon"
                    else ""
                )
                + f", got {base!r}"
            )
        budget = d.get("daily_budget", DEFAULT_BUDGET[platform])
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
            raise ConfigError(
                f"{section} daily_budget: expected a number of posts per day >= 0, got {budget!r}"
            )
        envs = []
        for key, (default, _what) in SECRETS[platform].items():
            name = d.get(key, default)
            if not isinstance(name, str) or not _ENV_NAME.match(name.strip()):
                raise ConfigError(
                    f"{section} {key}: expected the NAME of an environment variable "
                    f"(e.g. {default!r}), not the secret itself"
                )
            envs.append((key, name.strip()))
        visibility = d.get("visibility", "public")
        if visibility not in VISIBILITIES:
            raise ConfigError(
                f"{section} visibility: expected one of {', '.join(VISIBILITIES)}, "
                f"got {visibility!r}"
            )
        thread = d.get("thread", True)
        if not isinstance(thread, bool):
            raise ConfigError(
                f"{section} thread: expected true (a thread, one post per paper) or false "
                f"(one post linking the digest's page), got {thread!r}"
            )
        return cls(
            platform=platform,
            base_url=base.strip().rstrip("/"),
            daily_budget=budget,
            secret_envs=tuple(envs),
            visibility=str(visibility),
            thread=thread,
        )

    def secrets(self, env: Mapping[str, str], where: str = "config") -> dict[str, str]:
        """The secrets by config key (without `_env`); a missing one is a ConfigError naming it."""
        found = {}
        for key, name in self.secret_envs:
            value = (env.get(name) or "").strip()
            if not value:
                what = SECRETS[self.platform][key][1]
                raise ConfigError(
                    f"{where}: [adapters.{self.platform}] {key}: the environment variable "
                    f"{name} is not set ({what})"
                )
            found[key.removesuffix("_env")] = value
        return found
