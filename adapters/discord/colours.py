"""The colour of a paper's embed: one per arXiv archive family."""

from __future__ import annotations

from bot.domain.taxonomy import archive_of

DEFAULT_COLOUR = 0x7F7F7F
# arXiv red for cs; a colour per archive family so a channel can tell fields apart at a glance.
ARCHIVE_COLOURS = {
    "cs": 0xB31B1B,
    "math": 0x1F77B4,
    "stat": 0x2CA02C,
    "eess": 0x9467BD,
    "econ": 0x17BECF,
    "q-bio": 0x8C564B,
    "q-fin": 0xBCBD22,
    "physics": 0xFF7F0E,
    "astro-ph": 0x393B79,
    "cond-mat": 0xE377C2,
    "quant-ph": 0x637939,
    "gr-qc": 0x843C39,
    "hep-th": 0xD6616B,
    "hep-ph": 0xD6616B,
    "hep-ex": 0xD6616B,
    "hep-lat": 0xD6616B,
    "nucl-th": 0x7B4173,
    "nucl-ex": 0x7B4173,
    "nlin": 0x8CA252,
    "math-ph": 0x1F77B4,
}


def archive_colour(category: str) -> int:
    return ARCHIVE_COLOURS.get(archive_of(category), DEFAULT_COLOUR) if category else DEFAULT_COLOUR
