"""arXiv taxonomy: canonical ids, aliases, filters, names and suggestions."""

from __future__ import annotations

import json

import pytest

from bot.domain.taxonomy import (
    CategoryFilter,
    archive_ids,
    archive_of,
    archives,
    canonical_category,
    categories_in,
    category_name,
    resolve_filter,
    suggest,
)
from tests.conftest import TAXONOMY


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("math.IT", "cs.IT"),
        ("cs.SY", "eess.SY"),
        ("cs.NA", "math.NA"),
        ("math.MP", "math-ph"),
        ("stat.TH", "math.ST"),
        ("q-fin.EC", "econ.GN"),
    ],
)
def test_each_alias_pair_has_one_canonical_id(alias: str, canonical: str) -> None:
    assert canonical_category(alias) == canonical
    assert canonical_category(canonical) == canonical
    assert canonical_category(alias.upper()) == canonical


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("cs.CV", "cs.CV"),
        ("CS.cv", "cs.CV"),
        (" cs.lg ", "cs.LG"),
        ("cmp-lg", "cs.CL"),
        ("alg-geom", "math.AG"),
        ("acc-phys", "physics.acc-ph"),
        ("hep-th", "hep-th"),
        ("HEP-TH", "hep-th"),
        ("quant-ph", "quant-ph"),
        ("gr-qc", "gr-qc"),
        ("astro-ph", "astro-ph"),
        ("cond-mat.mes-hall", "cond-mat.mes-hall"),
    ],
)
def test_canonical_category(name: str, canonical: str) -> None:
    assert canonical_category(name) == canonical


@pytest.mark.parametrize("name", ["cs", "math", "physics", "cs.CVV", "", "test.soft", "x" * 500])
def test_unknown_or_archive_only_names_are_not_categories(name: str) -> None:
    assert canonical_category(name) is None


def test_category_filter_any_case_shows_canonical_spelling() -> None:
    assert resolve_filter("CS.cv") == CategoryFilter("cs.CV", frozenset({"cs.CV"}))


def test_alias_filter_matches_the_canonical_id() -> None:
    assert resolve_filter("math.IT") == CategoryFilter("cs.IT", frozenset({"cs.IT"}))
    assert resolve_filter("cmp-lg") == CategoryFilter("cs.CL", frozenset({"cs.CL"}))


def test_archive_filter_covers_its_categories_and_aliases_living_in_it() -> None:
    math = resolve_filter("math")
    assert math is not None and math.label == "math"
    assert {"math.AG", "math.NA", "math.ST", "cs.IT", "math-ph"} <= math.categories
    assert "math.IT" not in math.categories  # only canonical ids
    cs = resolve_filter("CS")
    assert cs is not None and cs.label == "cs"
    assert {"cs.CV", "cs.LG", "cs.IT", "eess.SY", "math.NA"} <= cs.categories
    assert len([c for c in cs.categories if c.startswith("cs.")]) == 38
    stat = resolve_filter("stat")
    assert stat is not None and "math.ST" in stat.categories and "stat.ML" in stat.categories
    qfin = resolve_filter("q-fin")
    assert qfin is not None and "econ.GN" in qfin.categories


def test_physics_means_the_archive_and_astro_ph_all_of_its_categories() -> None:
    physics = resolve_filter("physics")
    assert physics is not None and physics.label == "physics"
    assert all(c.startswith("physics.") for c in physics.categories)
    assert "physics.optics" in physics.categories and "hep-th" not in physics.categories
    astro = resolve_filter("astro-ph")
    assert astro is not None
    assert astro.categories == {
        "astro-ph",
        "astro-ph.CO",
        "astro-ph.EP",
        "astro-ph.GA",
        "astro-ph.HE",
        "astro-ph.IM",
        "astro-ph.SR",
    }


def test_groups_named_like_their_archive_and_the_whole_physics_group() -> None:
    for name in ("q-bio", "q-fin", "stat", "eess", "econ"):
        found = resolve_filter(name)
        assert found is not None and found.label == name and len(found.categories) >= 3
    group = resolve_filter("grp_physics")
    assert group is not None
    assert {"hep-th", "quant-ph", "physics.optics", "astro-ph.GA", "cond-mat.soft"} <= (
        group.categories
    )


@pytest.mark.parametrize("token", ["cs.CVV", "foo", "", "   ", "test", "grp_test", "x" * 1000])
def test_unknown_filters_are_none(token: str) -> None:
    assert resolve_filter(token) is None


def test_suggest_closest() -> None:
    assert suggest("cs.CVV") == "cs.CV"
    assert suggest("CS.LGG") == "cs.LG"
    assert suggest("mathh") == "math"
    assert suggest("zzzzzzzz") is None
    assert suggest("") is None


def test_names_and_archives() -> None:
    assert category_name("cs.CV") == "Computer Vision and Pattern Recognition"
    assert category_name("cs.cv") == "Computer Vision and Pattern Recognition"
    assert category_name("cs") == "Computer Science"
    assert category_name("not.there") == "not.there"
    assert archive_of("cs.CV") == "cs"
    assert archive_of("math.IT") == "math"
    assert archive_of("hep-th") == "hep-th"
    assert archive_of("cmp-lg") == "cs"
    assert archive_of("astro-ph.GA") == "astro-ph"


def test_listings_of_active_archives_and_categories() -> None:
    ids = [a for a, _ in archives()]
    assert "cs" in ids and "physics" in ids and "hep-th" in ids
    assert "test" not in ids and "cmp-lg" not in ids
    assert len(ids) == 20
    assert len(categories_in()) == 155
    cs = dict(categories_in("cs"))
    assert len(cs) == 40 and cs["cs.CV"] == "Computer Vision and Pattern Recognition"
    assert categories_in("CS") == categories_in("cs")
    assert categories_in("hep-th") == [("hep-th", "High Energy Physics - Theory")]
    assert categories_in("nope") == []
    assert {"hep-th", "math", "cmp-lg", "solv-int"} <= archive_ids()


def test_shipped_data_matches_the_shared_taxonomy() -> None:
    source = json.loads(TAXONOMY.read_text(encoding="utf-8"))
    for cat, info in source["categories"].items():
        if cat.startswith(("test", "bad-arch")):
            continue
        assert category_name(cat) == info["full_name"]
        assert canonical_category(cat) is not None
    for alias, target in source["category_aliases"].items():
        assert canonical_category(alias) == target
    for old, target in source["archives_subsumed"].items():
        assert canonical_category(old) == target
