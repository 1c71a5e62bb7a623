"""The bundled sample store: the Hot Papers archive, shipped compressed inside the package."""

from __future__ import annotations

import gzip
import os
import shutil
import sqlite3
import tempfile
from importlib import resources
from pathlib import Path

import platformdirs

from bot import __version__
from bot.domain.errors import StorageError

SAMPLE_NAME = "sample.db.gz"


def sample_archive() -> Path:
    return Path(str(resources.files("bot") / "data" / SAMPLE_NAME))


def sample_database() -> Path:
    """A private copy of the sample database in the user's cache folder, unpacked once.

    Safe when several processes start together on an empty cache: each unpacks to its own
    temporary name and moves it into place atomically (the last move wins; all copies are equal).
    """
    packed = sample_archive()
    if not packed.is_file():
        raise FileNotFoundError(f"the bundled sample is missing: {packed}")
    cache = Path(platformdirs.user_cache_dir("hotpapers"))
    target = cache / f"sample-{__version__}-{packed.stat().st_size}.db"
    if target.is_file():
        return target
    try:
        _unpack(packed, cache, target)
    except OSError as exc:
        raise StorageError(
            f"cannot unpack the bundled sample into {cache} ({exc.strerror or exc}): make that "
            "folder writable, set XDG_CACHE_HOME to a writable folder, or pass --db",
            str(target),
        ) from None
    return target


def _unpack(packed: Path, cache: Path, target: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=f"{target.stem}.", suffix=".partial", dir=cache)
    try:
        with gzip.open(packed, "rb") as src, os.fdopen(fd, "wb") as dst:
            shutil.copyfileobj(src, dst)
            dst.flush()
            os.fsync(dst.fileno())
        os.chmod(partial, 0o644)  # mkstemp makes it private; a cache file is readable
        _migrate(Path(partial))
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def _migrate(path: Path) -> None:
    """Bring the unpacked copy to this version's schema, so that read-only commands (`ask`) can
    open it even when the bundled file predates a migration."""
    from bot.store.db import open_database

    open_database(str(path), read_only=False).close()
    conn = sqlite3.connect(path)  # back to a rollback journal, as shipped: one file, no WAL
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()
