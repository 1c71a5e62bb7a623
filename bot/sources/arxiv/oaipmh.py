"""OAI-PMH ListRecords (oaipmh.arxiv.org/oai) in the `arXiv` and `arXivRaw` formats, parsed with ElementTree."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

from bot.domain.calendar import listing_date_for, listing_date_for_day
from bot.domain.ids import parse_arxiv_id
from bot.domain.models import Paper
from bot.domain.taxonomy import archive_id, archive_of, canonical_category, group_id, group_of
from bot.sources.arxiv.http import HttpResult
from bot.sources.arxiv.parsing import canonical_categories, clean_text, split_authors

log = logging.getLogger(__name__)

OAI = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV = "{http://arxiv.org/OAI/arXiv/}"
ARXIV_RAW = "{http://arxiv.org/OAI/arXivRaw/}"
FORMATS = ("arXiv", "arXivRaw")


@dataclass(frozen=True)
class OaiPage:
    papers: tuple[Paper, ...] = ()
    problems: tuple[str, ...] = ()
    token: str | None = None  # resumptionToken; None when the list is complete (or unknown)
    error_code: str | None = None  # OAI-PMH <error code=...>, e.g. badResumptionToken
    records: int = 0
    deleted: int = 0
    last_datestamp: str | None = None  # the newest record datestamp on the page
    response_date: str | None = None
    well_formed: bool = True  # False: the XML broke off; records before the break were kept


def set_spec(name: str) -> str | None:
    """The OAI-PMH set for a category, archive or group: `cs.AI` -> `cs:cs:AI`, `hep-th` -> `physics:hep-th`.

    A value that already contains `:` is taken as a set spec. None for an unknown name.
    """
    text = name.strip() if isinstance(name, str) else ""
    if not text:
        return None
    if ":" in text:
        return text
    low = text.lower()
    if low.startswith("grp_") and group_id(low):
        return low.removeprefix("grp_")
    archive = archive_id(low)
    category = None if archive else canonical_category(text)
    if archive is None:
        if category is None:
            return None
        archive = archive_of(category)
    group = group_of(archive).removeprefix("grp_")
    if not group:
        return None
    if category is None or category == archive or "." not in category:
        return f"{group}:{archive}"
    return f"{group}:{archive}:{category.split('.', 1)[1]}"


def _text(parent: ET.Element | None, tag: str) -> str:
    if parent is None:
        return ""
    child = parent.find(tag)
    return clean_text("".join(child.itertext())) if child is not None else ""


def _arxiv_authors(meta: ET.Element) -> tuple[str, ...]:
    names: list[str] = []
    for author in meta.iterfind(f"{ARXIV}authors/{ARXIV}author"):
        parts = [
            _text(author, f"{ARXIV}forenames"),
            _text(author, f"{ARXIV}keyname"),
            _text(author, f"{ARXIV}suffix"),
        ]
        name = " ".join(p for p in parts if p)
        if name:
            names.append(name)
    return tuple(names)


def _raw_submitted(meta: ET.Element) -> tuple[datetime | None, int | None]:
    first: datetime | None = None
    latest: int | None = None
    for version in meta.iterfind(f"{ARXIV_RAW}version"):
        label = version.get("version", "").lower().lstrip("v")
        number = int(label) if label.isdigit() else None
        if number is not None:
            latest = max(latest or 0, number)
        if number == 1:
            try:
                first = parsedate_to_datetime(_text(version, f"{ARXIV_RAW}date"))
            except (TypeError, ValueError, IndexError):
                first = None
            if first is not None and first.tzinfo is None:
                first = first.replace(tzinfo=UTC)
    return first, latest


def _record(record: ET.Element, holidays: frozenset[date]) -> Paper | str | None:
    """A Paper, a one-line problem, or None for a deleted record."""
    header = record.find(f"{OAI}header")
    ident = _text(header, f"{OAI}identifier") or "?"
    if header is not None and header.get("status") == "deleted":
        return None
    metadata = record.find(f"{OAI}metadata")
    meta = None if metadata is None else next(iter(metadata), None)
    if meta is None or meta.tag not in {f"{ARXIV}arXiv", f"{ARXIV_RAW}arXivRaw"}:
        return f"OAI record {ident} has no arXiv metadata: skipped"
    ns = ARXIV if meta.tag == f"{ARXIV}arXiv" else ARXIV_RAW
    found = parse_arxiv_id(_text(meta, f"{ns}id")) or parse_arxiv_id(ident)
    if found is None:
        return f"OAI record {ident} has no arXiv id: skipped"
    title = _text(meta, f"{ns}title")
    cats = canonical_categories(_text(meta, f"{ns}categories").split())
    if not title or not cats:
        return f"OAI record {found.id} lacks a title or categories: skipped"
    submitted: datetime | None = None
    version: int | None = None
    listing: date | None = None
    if ns == ARXIV:
        authors = _arxiv_authors(meta)
        try:
            created = date.fromisoformat(_text(meta, f"{ns}created"))
        except ValueError:
            created = None
        if created is not None:
            listing = listing_date_for_day(created, holidays)
    else:
        authors = split_authors(_text(meta, f"{ns}authors"))
        submitted, version = _raw_submitted(meta)
        if submitted is not None:
            listing = listing_date_for(submitted, holidays)
    return Paper(
        arxiv_id=found.id,
        title=title,
        authors=authors,
        abstract=_text(meta, f"{ns}abstract"),
        primary_category=cats[0],
        categories=cats,
        listing_date=listing,
        submitted=submitted,
        version=version,
    )


def _closed(content: bytes) -> tuple[list[ET.Element], ET.ParseError | None]:
    """Every element that closed before the document ended or broke, and the error if it broke."""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("end",))
    broken: ET.ParseError | None = None
    try:
        parser.feed(content)
        parser.close()
    except ET.ParseError as exc:
        broken = exc
    elements: list[ET.Element] = []
    events = parser.read_events()
    while True:
        try:
            _event, element = next(events)  # type: ignore[misc]
        except StopIteration:
            break
        except ET.ParseError as exc:  # a syntax error fed earlier surfaces here
            broken = broken or exc
            break
        if isinstance(element, ET.Element):
            elements.append(element)
    return elements, broken


def parse_list_records(content: bytes | str, holidays: frozenset[date] = frozenset()) -> OaiPage:
    """Parse one ListRecords page. Never raises: a broken document keeps the records before the break."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    papers: list[Paper] = []
    problems: list[str] = []
    records = deleted = 0
    token: str | None = None
    error_code: str | None = None
    datestamp: str | None = None
    response_date: str | None = None
    elements, broken = _closed(raw)
    for element in elements:
        tag = element.tag
        if tag == f"{OAI}record":
            records += 1
            stamp = _text(element.find(f"{OAI}header"), f"{OAI}datestamp")
            if stamp and (datestamp is None or stamp > datestamp):
                datestamp = stamp
            made = _record(element, holidays)
            if made is None:
                deleted += 1
            elif isinstance(made, str):
                problems.append(made)
            else:
                papers.append(made)
        elif tag == f"{OAI}resumptionToken":
            token = (element.text or "").strip() or None
        elif tag == f"{OAI}error":
            error_code = element.get("code") or "unknown"
            if error_code != "noRecordsMatch":
                problems.append(f"OAI-PMH error {error_code}: {clean_text(element.text)}")
        elif tag == f"{OAI}responseDate":
            response_date = (element.text or "").strip() or None
    if broken is not None:
        token = None  # the page is incomplete: its token (at the end) cannot be trusted
        problems.append(
            f"OAI-PMH page is not well-formed XML ({broken}); kept the {len(papers)} records before it"
        )
    elif not any(e.tag == f"{OAI}OAI-PMH" for e in elements):
        token = None  # an error page from a proxy, not an answer: the list did not end here
        broken = ET.ParseError("not an OAI-PMH document")
        problems.append("OAI-PMH answer is not an OAI-PMH document: nothing read")
    for problem in problems:
        log.warning("%s", problem)
    return OaiPage(
        papers=tuple(papers),
        problems=tuple(problems),
        token=token,
        error_code=error_code,
        records=records,
        deleted=deleted,
        last_datestamp=datestamp,
        response_date=response_date,
        well_formed=broken is None,
    )


def page_is_complete(result: HttpResult) -> bool:
    """False for an empty or cut-off page (retried): the body must be one whole XML document."""
    if not result.content.strip():
        return False
    try:
        root = ET.fromstring(result.content)
    except ET.ParseError:
        return False
    return root.tag == f"{OAI}OAI-PMH"
