"""The team's own attention: reactions and thread replies stored per channel as salted hashes, shown
on that channel's items, listed by `team week`, and (with team_weight) in that channel's order only."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.console import ConsoleAdapter
from adapters.recording import RecordingPublisher
from bot.config import load_config
from bot.domain.models import Digest, Request
from bot.domain.subscription import Subscription
from bot.services.delivery import DeliveryService
from bot.services.engine import Engine, EngineSettings
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore
from tests.helpers import aggregate, paper

MONDAY = date(2021, 4, 5)
NOW = datetime(2021, 4, 5, 15, 0, tzinfo=UTC)
IDS = ["2104.00001", "2104.00002", "2104.00003", "2104.00004"]
ALICE, BOB, CAROL = "U0ALICE01", "U0BOB0002", "U0CAROL03"


def seeded(path: Path | None = None) -> Store:
    store = Store.open(path) if path is not None else Store.memory()
    store.upsert_papers([paper(pid, MONDAY, ("cs.CV",)) for pid in IDS])
    # 2104.00001 the most attention, 2104.00004 the least
    store.upsert_observations([aggregate(pid, 400 - 100 * i, 0) for i, pid in enumerate(IDS)])
    return store


def engine_for(store: Store, weight: float = 0.0, now: datetime = NOW) -> Engine:
    return Engine(store, EngineSettings(team_weight=weight), clock=lambda: now)


def ask(engine: Engine, text: str, channel: str = "C1", platform: str = "slack") -> str:
    request = Request(text=text, channel=channel, platform=platform, addressed=True)
    reply = engine.handle(request)
    assert reply is not None
    return reply.text


def order(digest: object) -> list[str]:
    assert isinstance(digest, Digest)
    return [i.paper.arxiv_id for i in digest.items]


def card(engine: Engine, channel: str, message: str, paper_id: str) -> None:
    """The bot posted a paper card about `paper_id` as `message` in `channel`."""
    engine.team.remember("slack", channel, [(message, paper_id)])


def test_reactions_count_once_per_member_and_removal_takes_back_only_the_last() -> None:
    engine = engine_for(seeded())
    card(engine, "C1", "m1", IDS[3])
    react = engine.team.reaction
    assert react("slack", "C1", "m1", ALICE, "thumbsup", added=True)
    assert react("slack", "C1", "m1", ALICE, "tada", added=True)
    assert not react("slack", "C1", "m1", ALICE, "tada", added=True)  # a replayed event
    assert react("slack", "C1", "m1", BOB, "eyes", added=True)
    assert engine.team.counts("slack", "C1", [IDS[3]]) == {IDS[3]: 2}
    react("slack", "C1", "m1", ALICE, "thumbsup", added=False)  # ALICE still has :tada:
    assert engine.team.counts("slack", "C1", [IDS[3]]) == {IDS[3]: 2}
    react("slack", "C1", "m1", ALICE, "tada", added=False)
    assert engine.team.counts("slack", "C1", [IDS[3]]) == {IDS[3]: 1}
    # a reply in the card's thread counts once per member, with or without a reaction
    assert engine.team.reply("slack", "C1", "m1", BOB)
    assert engine.team.reply("slack", "C1", "m1", CAROL)
    assert not engine.team.reply("slack", "C1", "m1", CAROL)
    assert engine.team.counts("slack", "C1", [IDS[3]]) == {IDS[3]: 2}


def test_messages_that_are_not_the_bots_paper_messages_count_for_nothing() -> None:
    engine = engine_for(seeded())
    card(engine, "C1", "m1", IDS[0])
    assert not engine.team.reaction("slack", "C1", "other", ALICE, "+1", added=True)
    assert not engine.team.reaction("slack", "C2", "m1", ALICE, "+1", added=True)  # same ts
    assert not engine.team.reply("slack", "C1", "other", ALICE)
    assert not engine.team.reaction("slack", "C1", "m1", "", "+1", added=True)
    assert engine.team.counts("slack", "C1", IDS) == {}


def test_no_user_id_or_emoji_is_stored_and_the_salt_is_per_database(tmp_path: Path) -> None:
    first = seeded(tmp_path / "a.db")
    engine = engine_for(first)
    card(engine, "C1", "m1", IDS[0])
    engine.team.reaction("slack", "C1", "m1", ALICE, "party_parrot", added=True)
    engine.team.reply("slack", "C1", "m1", BOB)
    rows = [
        " ".join(str(v) for v in row)
        for table in ("team_reactions", "team_messages", "meta")
        for row in first.conn.execute(f"SELECT * FROM {table}")
    ]
    dump = "\n".join(rows)
    for secret in (ALICE, BOB, "party_parrot", ALICE.lower()):
        assert secret not in dump
    salt = first.get_meta("team_salt")
    assert salt and len(salt) == 64
    member = engine.team.member("slack", ALICE)
    assert member != engine.team.member("slack", BOB)
    first.close()

    # the salt survives a restart: the same member hashes the same, so a removal still matches
    again = Store.open(tmp_path / "a.db")
    assert again.get_meta("team_salt") == salt
    reopened = engine_for(again)
    assert reopened.team.member("slack", ALICE) == member
    assert reopened.team.reaction("slack", "C1", "m1", ALICE, "party_parrot", added=False)
    again.close()

    # another database has another salt: the hash says nothing without it
    other = engine_for(seeded(tmp_path / "b.db"))
    assert other.team.member("slack", ALICE) != member


def test_counts_show_on_items_and_cards_in_that_channel_only() -> None:
    engine = engine_for(seeded())
    card(engine, "C1", "m1", IDS[1])
    for user in (ALICE, BOB, CAROL):
        engine.team.reaction("slack", "C1", "m1", user, "+1", added=True)
    assert "3 of your team reacted" in ask(engine, "paper 2104.00002")
    assert "of your team" not in ask(engine, "paper 2104.00002", channel="C2")
    assert "of your team" not in ask(engine, "paper 2104.00001")
    top = ask(engine, "top 5 2021-04-05")
    assert top.count("of your team reacted") == 1
    assert "2. Paper 2104.00002" in top.split("3 of your team reacted")[0]
    assert "of your team" not in ask(engine, "top 5 2021-04-05", channel="C2")


def test_team_week_lists_what_the_channel_reacted_to_most() -> None:
    engine = engine_for(seeded())
    for message, pid in (("m1", IDS[0]), ("m2", IDS[2]), ("m3", IDS[3])):
        card(engine, "C1", message, pid)
    for user in (ALICE, BOB):
        engine.team.reaction("slack", "C1", "m2", user, "+1", added=True)
    engine.team.reaction("slack", "C1", "m1", CAROL, "+1", added=True)
    engine.team.reaction("slack", "C2", "m3", CAROL, "+1", added=True)  # not a message in C2

    text = ask(engine, "team week")
    assert text.startswith("What your team reacted to, this week")
    assert text.index("Paper 2104.00003") < text.index("Paper 2104.00001")
    assert "2 of your team reacted" in text and "1 of your team reacted" in text
    assert "2104.00004" not in text
    assert "Nobody here has reacted" in ask(engine, "team week", channel="C2")
    assert "`nonsense` is not a period" in ask(engine, "team nonsense")

    # a week later, this week's reactions are last week's: `team month` still has them
    later = engine_for(engine.store, now=NOW + timedelta(days=8))
    assert "Nobody here has reacted to my papers this week yet" in ask(later, "team week")
    assert "Paper 2104.00003" in ask(later, "team month")
    assert "Nobody here" in ask(later, "team today")


def test_team_week_through_the_console() -> None:
    store = seeded()
    engine = engine_for(store)
    engine.team.remember("console", "console", [("c1", IDS[2])])
    engine.team.reaction("console", None, "c1", "someone", "+1", added=True)
    out = io.StringIO()
    console = ConsoleAdapter(engine, out)
    console.ask("team week")
    console.ask("paper 2104.00003")
    shown = out.getvalue()
    assert "What your team reacted to, this week" in shown
    assert shown.count("1 of your team reacted") == 2


def test_team_weight_reorders_only_that_channels_digests() -> None:
    store = seeded()
    card_engine = engine_for(store)
    card(card_engine, "C1", "m4", IDS[3])  # the least attention of the four
    for user in (ALICE, BOB):
        card_engine.team.reaction("slack", "C1", "m4", user, "+1", added=True)
    scores = {pid: store.score_of(pid).total for pid in IDS}

    weighted = engine_for(store, weight=200.0)  # 2 members x 200 = 400: past 2104.00001's 400
    here = weighted.digest(on=MONDAY, n=3, team=("slack", "C1"))
    elsewhere = weighted.digest(on=MONDAY, n=3, team=("slack", "C2"))
    assert order(here) == [IDS[3], IDS[0], IDS[1]]  # lifted from 4th into the top 3
    assert order(elsewhere) == IDS[:3]
    assert order(weighted.digest(on=MONDAY, n=3)) == IDS[:3]
    assert {pid: store.score_of(pid).total for pid in IDS} == scores  # the global score
    assert isinstance(here, Digest) and here.items[0].score.total == scores[IDS[3]]
    assert "1. Paper 2104.00004" in ask(weighted, "top 3 2021-04-05")
    assert "1. Paper 2104.00001" in ask(weighted, "top 3 2021-04-05", channel="C2")

    off = engine_for(store, weight=0.0)
    assert order(off.digest(on=MONDAY, n=3, team=("slack", "C1"))) == IDS[:3]
    assert "1. Paper 2104.00001" in ask(off, "top 3 2021-04-05")


async def test_team_weight_in_subscription_digests_of_that_channel_only() -> None:
    store = seeded()
    engine = engine_for(store, weight=200.0, now=NOW)
    card(engine, "C1", "m4", IDS[3])
    for user in (ALICE, BOB):
        engine.team.reaction("slack", "C1", "m4", user, "+1", added=True)
    subs = [
        SubscriptionStore(store).save(
            Subscription(
                platform="slack",
                channel=channel,
                n=3,
                at=time(9, 0),
                timezone="Europe/Berlin",
                created_at=datetime(2021, 4, 1, tzinfo=UTC),
            )
        )
        for channel in ("C1", "C2")
    ]
    publisher = RecordingPublisher("slack")
    nine = datetime(2021, 4, 5, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    service = DeliveryService(store, engine, {"slack": publisher}, clock=lambda: nine)
    for sub in subs:
        await service.deliver(sub, scheduled_for=nine)
    by_channel = {p.channel: p.digest for p in publisher.sent}
    assert order(by_channel["C1"]) == [IDS[3], IDS[0], IDS[1]]
    assert by_channel["C1"].items[0].team == 2
    assert order(by_channel["C2"]) == IDS[:3]
    assert all(i.team == 0 for i in by_channel["C2"].items)


def test_team_weight_is_read_from_the_scoring_table(tmp_path: Path) -> None:
    path = tmp_path / "hotpapers.toml"
    path.write_text("[scoring]\nteam_weight = 25\n", encoding="utf-8")
    assert load_config(path).team_weight == 25.0
    path.write_text("[scoring]\n", encoding="utf-8")
    assert load_config(path).team_weight == 0.0
