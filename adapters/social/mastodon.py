"""Mastodon: digest threads through Mastodon.py's status_post (with an Idempotency-Key)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.social.config import SocialConfig
from adapters.social.render import SocialPost
from adapters.social.thread import Budget, Ledger, ThreadPublisher, describe, seconds_until
from bot.ports import DeliveryError

log = logging.getLogger(__name__)


def make_client(config: SocialConfig, secrets: Mapping[str, str]) -> Any:
    from mastodon import Mastodon

    return Mastodon(
        api_base_url=config.base_url,
        access_token=secrets["access_token"],
        ratelimit_method="throw",
        version_check_mode="none",
        request_timeout=30,
        user_agent="hotpapers",
    )


def delivery_error(exc: BaseException, client: Any, now: datetime) -> DeliveryError:
    from mastodon import MastodonAPIError, MastodonNetworkError, MastodonRatelimitError

    if isinstance(exc, MastodonRatelimitError):
        # Mastodon.py has already moved the reset onto this machine's clock (by the server's
        # Date header): measure it against the real time, not the injected clock.
        reset = getattr(client, "ratelimit_reset", None)
        real_now = datetime.now(UTC)
        wait = seconds_until(float(reset), real_now) if isinstance(reset, int | float) else None
        return DeliveryError("Mastodon rate limit reached", transient=True, retry_after=wait)
    if isinstance(exc, MastodonNetworkError):
        return DeliveryError(f"Mastodon unreachable: {describe(exc)}", transient=True)
    if isinstance(exc, MastodonAPIError):
        status = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        if status in (401, 403, 404, 422):
            return DeliveryError(f"Mastodon refused the post ({status})", transient=False)
    return DeliveryError(f"posting to Mastodon failed: {describe(exc)}", transient=True)


class MastodonPublisher(ThreadPublisher):
    platform = "mastodon"

    def __init__(
        self,
        client: Any,
        *,
        visibility: str = "public",
        daily_budget: int | None = None,
        ledger: Ledger | None = None,
        budget: Budget | None = None,
        clock: Callable[[], datetime] | None = None,
        thread: bool = True,
    ) -> None:
        super().__init__(
            daily_budget=daily_budget, ledger=ledger, budget=budget, clock=clock, thread=thread
        )
        self.client = client
        self.visibility = visibility

    async def _post(self, post: SocialPost, *, root: str | None, parent: str | None) -> str:
        # The server drops a repeated Idempotency-Key for an hour: a timed-out post that landed
        # is not doubled by the retry.
        idem = f"hotpapers:{parent or 'root'}:{hashlib.sha256(post.text.encode()).hexdigest()[:16]}"
        try:
            status = await asyncio.to_thread(
                self.client.status_post,
                post.text,
                in_reply_to_id=parent,
                visibility=self.visibility,
                idempotency_key=idem,
            )
        except Exception as exc:
            raise delivery_error(exc, self.client, self.clock()) from None
        status_id = status.get("id") if hasattr(status, "get") else None
        if status_id is None or str(status_id) == "":
            raise DeliveryError("Mastodon answered without a status id", transient=False)
        return str(status_id)
