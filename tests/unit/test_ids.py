"""arXiv id extraction: every link and id form, and nothing that only looks like one."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.ids import ArxivId, canonical_id, find_arxiv_ids, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2104.00743", ArxivId("2104.00743")),
        ("2104.00743v2", ArxivId("2104.00743", 2)),
        ("arXiv:2104.00743", ArxivId("2104.00743")),
        ("ARXIV:2104.00743v3", ArxivId("2104.00743", 3)),
        ("arxiv: 2104.00743", ArxivId("2104.00743")),
        ("https://arxiv.org/abs/2104.00743", ArxivId("2104.00743")),
        ("http://arxiv.org/abs/2104.00743v1", ArxivId("2104.00743", 1)),
        ("arxiv.org/pdf/2104.00743", ArxivId("2104.00743")),
        ("https://arxiv.org/pdf/2104.00743v2.pdf", ArxivId("2104.00743", 2)),
        ("https://arxiv.org/pdf/2104.00743.pdf", ArxivId("2104.00743")),
        ("https://www.arxiv.org/html/2104.00743v1", ArxivId("2104.00743", 1)),
        ("http://export.arxiv.org/abs/2104.00743", ArxivId("2104.00743")),
        ("0704.0001", ArxivId("0704.0001")),
        ("1412.7878v4", ArxivId("1412.7878", 4)),
        ("1501.00001", ArxivId("1501.00001")),
        ("hep-th/9901001", ArxivId("hep-th/9901001")),
        ("arXiv:hep-th/9901001v1", ArxivId("hep-th/9901001", 1)),
        ("math.CA/0611800v2", ArxivId("math/0611800", 2)),
        ("arXiv:math.CA/0611800", ArxivId("math/0611800")),
        ("https://arxiv.org/abs/cond-mat/0501001", ArxivId("cond-mat/0501001")),
        ("https://arxiv.org/pdf/astro-ph/0703001v2.pdf", ArxivId("astro-ph/0703001", 2)),
        ("cs/0112017", ArxivId("cs/0112017")),
        ("<https://arxiv.org/abs/2104.00743|arxiv.org/abs/2104.00743>", ArxivId("2104.00743")),
        ("(see 2104.00743).", ArxivId("2104.00743")),
        ("paper_2104.00743.pdf", ArxivId("2104.00743")),
    ],
)
def test_recognised_forms(text: str, expected: ArxivId) -> None:
    assert find_arxiv_ids(text) == [expected]
    assert parse_arxiv_id(text) == expected
    assert canonical_id(text) == expected.id


@pytest.mark.parametrize(
    "text",
    [
        "1.2104.00743",  # inside a version string
        "12104.007431",  # inside a longer number
        "2104.007431",
        "2104.00743.1",
        "v1.2104.00743",
        "abc2104.00743",
        "2104.0074",  # 4 digits after 1412
        "1501.0001",
        "0703.0001",  # new style began in 0704
        "1412.00001",  # 5 digits only from 1501
        "2113.00743",  # month 13
        "2100.00743",  # month 00
        "1234.5678",
        "foo/9901001",  # unknown archive
        "hep-th/9913001",  # month 13
        "hep-th/0801001",  # old style ended in 2007
        "hep-th/990100",
        "xhep-th/9901001",
        "version 3.14.15",
        "",
    ],
)
def test_not_ids(text: str) -> None:
    assert find_arxiv_ids(text) == []
    assert parse_arxiv_id(text) is None
    assert canonical_id(text) is None


def test_order_of_appearance_and_unique_by_id() -> None:
    text = (
        "first https://arxiv.org/abs/2104.00743v1 then hep-th/9901001, "
        "again arXiv:2104.00743v2 and 0704.0001"
    )
    assert find_arxiv_ids(text) == [
        ArxivId("2104.00743", 1),
        ArxivId("hep-th/9901001"),
        ArxivId("0704.0001"),
    ]


def test_versioned_spelling() -> None:
    assert ArxivId("2104.00743", 2).versioned == "2104.00743v2"
    assert ArxivId("2104.00743").versioned == "2104.00743"


def test_hundred_kilobytes_of_text_parse() -> None:
    chunk = "digits 1234567890.12345 a.b.c/d " + "9" * 40 + " hep-th/ math.XX/ 2104.0 "
    text = (chunk * (100_000 // len(chunk) + 1))[:100_000] + " arXiv:2104.00743"
    assert find_arxiv_ids(text) == [ArxivId("2104.00743")]
    assert find_arxiv_ids("1" * 100_000) == []
    assert find_arxiv_ids("math." * 20_000) == []


def test_non_text_input_is_no_ids() -> None:
    assert find_arxiv_ids(None) == []  # type: ignore[arg-type]


new_ids = st.builds(
    lambda yy, mm, num, five: (
        f"{yy:02d}{mm:02d}.{num % 100_000:05d}" if five else f"{yy:02d}{mm:02d}.{num % 10_000:04d}"
    ),
    st.integers(7, 99),
    st.integers(1, 12),
    st.integers(0, 99_999),
    st.booleans(),
).filter(lambda s: ("0704" <= s[:4] <= "1412") if len(s) == 9 else s[:4] >= "1501")
old_ids = st.builds(
    lambda archive, yy, mm, num: f"{archive}/{yy:02d}{mm:02d}{num:03d}",
    st.sampled_from(["hep-th", "math", "cs", "astro-ph", "cond-mat", "quant-ph", "q-alg"]),
    st.sampled_from([91, 95, 99, 0, 3, 7]),
    st.integers(1, 12),
    st.integers(0, 999),
)
subject = st.sampled_from(["", ".CA", ".AG", ".AI"])
version = st.one_of(st.none(), st.integers(1, 30))
wrapper = st.sampled_from(
    [
        "{}",
        "arXiv:{}",
        "arxiv:{}",
        "https://arxiv.org/abs/{}",
        "http://arxiv.org/pdf/{}",
        "https://arxiv.org/pdf/{}.pdf",
        "arxiv.org/html/{}",
        "https://www.arxiv.org/abs/{}",
        "http://export.arxiv.org/abs/{}",
        "see <{}> please",
        "(arXiv:{}).",
    ]
)


@given(st.one_of(new_ids, old_ids), subject, version, wrapper)
def test_every_form_round_trips_to_its_canonical_id(
    canonical: str, sc: str, ver: int | None, wrap: str
) -> None:
    spelled = canonical
    if "/" in canonical and canonical.startswith("math/"):
        spelled = canonical.replace("math/", f"math{sc}/")
    if ver is not None:
        spelled += f"v{ver}"
    found = find_arxiv_ids(wrap.format(spelled))
    assert found == [ArxivId(canonical, ver)]


@given(st.text(max_size=500))
def test_any_text_never_raises(text: str) -> None:
    assert isinstance(find_arxiv_ids(text), list)


@given(st.text(alphabet=string.digits + ".v/-:abcdhmprst ", max_size=500))
def test_id_like_noise_never_raises_and_ids_are_canonical(text: str) -> None:
    for found in find_arxiv_ids(text):
        assert found.id == canonical_id(found.id)
        assert found.version is None or found.version > 0
