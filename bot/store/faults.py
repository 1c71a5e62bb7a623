"""What went wrong with a database file, in one line a person can act on.

sqlite3 reports storage faults as exceptions whose text names neither the file nor the remedy
("database or disk is full", "file is not a database", ...). `storage_error` turns the ones that
are about the file, the disk or the permissions into a StorageError; anything else (a constraint,
an interrupted query, a bug) is left alone and returns None.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from bot.domain.errors import StorageError

REBUILD = "move it aside and run `hotpapers import` or `hotpapers ingest` to rebuild it"


def storage_error(exc: BaseException, path: str, *, writing: bool = False) -> StorageError | None:
    """The StorageError that explains `exc` for the database at `path`, or None."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, sqlite3.Error):
        message = _sqlite_message(exc, path, writing=writing)
    elif isinstance(exc, OSError):
        message = _os_message(exc, path)
    elif isinstance(exc, ValueError) and "null" in str(exc).lower():
        message = nul_message()
    else:
        return None
    return None if message is None else StorageError(message, path)


def nul_message() -> str:
    return "the database path contains a NUL character: check --db, HOTPAPERS_DB or [bot] database"


def directory_message(path: str) -> str:
    return (
        f"{path} is a directory, not a database file: give a file path (e.g. {path}/hotpapers.db)"
    )


def missing_message(path: str) -> str:
    return (
        f"there is no database at {path}: check the path, or create it with "
        "`hotpapers import` or `hotpapers ingest`"
    )


def unwritable_message(path: str) -> str:
    return (
        f"{path} cannot be written (read-only file, folder or disk): fix its permissions, "
        "or point --db at a writable copy; reading commands (ask, digest, doctor) still work"
    )


def corrupt_message(path: str) -> str:
    return (
        f"{path} is damaged (database disk image is malformed): restore it from a backup, "
        f"or {REBUILD}"
    )


def newer_message(path: str, migration: str) -> str:
    return (
        f"{path} was written by a newer hotpapers (migration {migration}); upgrade hotpapers "
        "to use it"
    )


def older_message(path: str, migration: str) -> str:
    return (
        f"{path} was written by an older hotpapers (migration {migration} is pending) and is "
        "opened read-only here: run `hotpapers run` or `hotpapers import` once to upgrade it"
    )


def _code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def _sqlite_message(exc: sqlite3.Error, path: str, *, writing: bool) -> str | None:
    code = _code(exc)
    text = str(exc).lower()
    if code == sqlite3.SQLITE_FULL or "disk is full" in text:
        return (
            f"the disk holding {path} is full: free some space and run the command again "
            "(what was already stored is kept)"
        )
    if code == sqlite3.SQLITE_CORRUPT or "malformed" in text:
        return corrupt_message(path)
    if code == sqlite3.SQLITE_NOTADB or "not a database" in text:
        return (
            f"{path} is not a hotpapers database (not an SQLite file): check --db, "
            "HOTPAPERS_DB or [bot] database"
        )
    if code == sqlite3.SQLITE_READONLY or "readonly database" in text:
        return unwritable_message(path)
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "database is locked" in text:
        return (
            f"{path} stayed locked by another hotpapers process for too long: "
            "run the command again when it has finished"
        )
    if code == sqlite3.SQLITE_IOERR or "disk i/o error" in text:
        return f"reading or writing {path} failed (disk I/O error): check the disk and the file"
    if code == sqlite3.SQLITE_CANTOPEN or "unable to open" in text:
        return _cannot_open(path, writing=writing)
    if code == sqlite3.SQLITE_PERM:
        return f"{path} cannot be opened: permission denied"
    return None


def _cannot_open(path: str, *, writing: bool) -> str:
    if Path(path).is_dir():
        return directory_message(path)
    if not Path(path).exists() and not writing:
        return missing_message(path)
    folder = Path(path).parent
    if not folder.is_dir():
        return f"cannot open {path}: the folder {folder} does not exist"
    return (
        f"cannot open {path}: check that the file and its folder {folder} can be read and written"
    )


def _os_message(exc: OSError, path: str) -> str:
    where = exc.filename or path
    reason = exc.strerror or type(exc).__name__
    if exc.errno == errno.ENOSPC:
        return f"the disk holding {where} is full: free some space and run the command again"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write {where} ({reason}): fix its permissions or choose another path"
    if exc.errno == errno.ENOTDIR:
        return f"cannot use {where} ({reason}): a part of the path is a file, not a folder"
    return f"cannot use {os.fspath(where)}: {reason}"
