"""The bundled sample store: the Hot Papers archive, shipped compressed inside the package."""

from __future__ import annotations

import gzip
import shutil
from importlib import resources
from pathlib import Path

import platformdirs

from bot import __version__

SAMPLE_NAME = "sample.db.gz"


def sample_archive() -> Path:
    return Path(str(resources.files("bot") / "data" / SAMPLE_NAME))


def sample_database() -> Path:
    """A private copy of the sample database in the user's cache folder, unpacked once."""
    packed = sample_archive()
    if not packed.is_file():
        raise FileNotFoundError(f"the bundled sample is missing: {packed}")
    cache = Path(platformdirs.user_cache_dir("hotpapers"))
    target = cache / f"sample-{__version__}-{packed.stat().st_size}.db"
    if not target.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        with gzip.open(packed, "rb") as src, partial.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        partial.replace(target)
    return target
