"""`hotpapers doctor`'s look at the database: never creates one, a damaged one is a problem."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.config import Config
from bot.domain.errors import StorageError


def database_report(config: Config, db: Path | None) -> tuple[str, str | None]:
    """(the line to show, the problem or None). A missing database is fine: `run` creates it."""
    from bot.app import database_path

    if db is None and config.database is None and config.is_default:
        return (
            "database: the bundled sample (unpacked into the user cache folder on first use)",
            None,
        )
    path = database_path(config, db)
    if not path.exists():
        return f"database: {path} (not created yet; `hotpapers run` creates it)", None
    if not path.is_file():
        return f"database: {path}", f"database {path}: not a file"
    from bot.store import Store

    damage = _damage(path)
    if damage is not None:
        return f"database: {path}", f"database {path}: damaged: {damage}"
    try:
        store = Store.open(path, read_only=True)  # doctor changes nothing
    except StorageError as exc:
        return f"database: {path}", str(exc)
    except sqlite3.Error as exc:
        return f"database: {path}", f"database {path}: cannot open it: {exc}"
    try:
        integrity = store.conn.execute("PRAGMA quick_check").fetchone()[0]
        if integrity != "ok":
            return f"database: {path}", f"database {path}: damaged: {integrity.splitlines()[0]}"
        latest = store.latest_listing_date()
        line = (
            f"database: {path} ({store.count('papers'):,} papers, "
            f"{store.count('observations'):,} observations, latest listing {latest or 'none'})"
        )
        if not config.is_default and store.scoring.fingerprint() != config.scoring.fingerprint():
            line += "\nscoring: the config's settings differ from the stored scores' (the next start rescores every paper)"
        return line, None
    except sqlite3.Error as exc:
        return f"database: {path}", f"database {path}: damaged: {exc}"
    finally:
        store.close()


def _damage(path: Path) -> str | None:
    """SQLite's own quick check, read-only, before anything reads the schema (None: fine or not
    a database at all, which opening reports)."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        result = str(conn.execute("PRAGMA quick_check").fetchone()[0])
    except sqlite3.OperationalError:
        return None  # e.g. a read-only folder for a WAL database: opening the store tells
    except sqlite3.DatabaseError as exc:
        return None if "not a database" in str(exc) else str(exc)
    finally:
        conn.close()
    return None if result == "ok" else result.splitlines()[0]
