"""Re-importing or refreshing a paper never makes it poorer: versions decide, categories add up."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.domain.models import Paper
from bot.services.importer import import_archive_files
from bot.store import Store

DATA = Path(__file__).resolve().parents[1] / "data" / "archive"
OCT_29 = DATA / "2020-10-29---Hot-Papers.md"  # lists 2010.14680 as cs.LG
NOV_03 = DATA / "2020-11-03---Hot-Papers.md"  # lists it again as cs.LG | stat.ML


def _paper(**fields: object) -> Paper:
    base: dict[str, object] = {
        "arxiv_id": "2104.00001",
        "title": "Title v1",
        "authors": ("Ada Lovelace",),
        "abstract": "Abstract v1.",
        "primary_category": "cs.LG",
        "categories": ("cs.LG",),
        "listing_date": date(2021, 4, 5),
    }
    base.update(fields)
    return Paper(**base)  # type: ignore[arg-type]


def test_importing_an_older_post_again_keeps_the_newer_categories() -> None:
    store = Store.memory()
    import_archive_files(store, [OCT_29, NOV_03])
    assert store.get_paper("2010.14680").categories == ("cs.LG", "stat.ML")  # type: ignore[union-attr]
    import_archive_files(store, [OCT_29])
    again = store.get_paper("2010.14680")
    assert again is not None
    assert again.categories == ("cs.LG", "stat.ML")
    assert again.primary_category == "cs.LG"
    assert again.listing_date == date(2020, 10, 29)


def test_the_newer_post_imported_first_then_the_older_one_loses_nothing() -> None:
    store = Store.memory()
    import_archive_files(store, [NOV_03])
    import_archive_files(store, [OCT_29])
    paper = store.get_paper("2010.14680")
    assert paper is not None and paper.categories == ("cs.LG", "stat.ML")
    assert paper.listing_date == date(2020, 10, 29)


def test_a_newer_arxiv_version_wins_and_an_older_one_never_rolls_it_back() -> None:
    store = Store.memory()
    store.upsert_papers([_paper(version=1)])
    store.upsert_papers(
        [
            _paper(
                version=2,
                title="Title v2",
                abstract="Abstract v2.",
                primary_category="stat.ML",
                categories=("stat.ML", "cs.AI"),
            )
        ]
    )
    store.upsert_papers([_paper(version=1)])  # a stale feed repeats v1
    stored = store.get_paper("2104.00001")
    assert stored is not None
    assert (stored.title, stored.abstract, stored.version) == ("Title v2", "Abstract v2.", 2)
    assert stored.primary_category == "stat.ML"
    assert stored.categories == ("stat.ML", "cs.AI", "cs.LG")  # never lost: a union


def test_without_versions_categories_only_grow_and_the_primary_stays() -> None:
    store = Store.memory()
    store.upsert_papers([_paper(categories=("cs.LG", "stat.ML"))])
    store.upsert_papers([_paper(primary_category="cs.CV", categories=("cs.CV",))])
    stored = store.get_paper("2104.00001")
    assert stored is not None
    assert stored.primary_category == "cs.LG"
    assert stored.categories == ("cs.LG", "stat.ML", "cs.CV")


def test_the_category_filter_sees_the_union() -> None:
    store = Store.memory()
    store.upsert_papers([_paper(categories=("cs.LG", "stat.ML"))])
    store.upsert_papers([_paper(categories=("cs.LG",))])
    assert store.get_paper("2104.00001").categories == ("cs.LG", "stat.ML")  # type: ignore[union-attr]
    rows = store.conn.execute(
        "SELECT category FROM paper_categories WHERE paper_id = '2104.00001' "
        "AND category NOT LIKE '%*' ORDER BY category"
    ).fetchall()
    assert [r[0] for r in rows] == ["cs.LG", "stat.ML"]


def test_repeats_inside_one_batch_are_merged_too() -> None:
    store = Store.memory()
    store.upsert_papers(
        [_paper(categories=("cs.LG", "stat.ML")), _paper(title="", categories=("cs.LG",))]
    )
    stored = store.get_paper("2104.00001")
    assert stored is not None
    assert stored.title == "Title v1" and stored.categories == ("cs.LG", "stat.ML")
