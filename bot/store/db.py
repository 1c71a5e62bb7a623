"""Opening a database, one connection per thread, one write path per process.

- Read-write opens create the file and its folder, switch to WAL and apply pending migrations
  inside `BEGIN IMMEDIATE`, so that several processes opening a new file at once migrate it once.
- Read-only opens use a `mode=ro` URI (`immutable=1` when the folder cannot hold WAL's side files)
  and never write: no migration, no journal-mode change, `PRAGMA query_only`.
- A database from a newer hotpapers (a migration this version does not know) is refused.
- Each thread gets its own connection, opened lazily with the same pragmas; write transactions
  take one process-wide lock per file and start as writers (`BEGIN IMMEDIATE`), so they queue
  instead of failing with "database is locked". `:memory:` has one shared connection, guarded by
  the same lock.
- sqlite3 errors about the file, the disk or the permissions become a StorageError (faults.py).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from contextvars import ContextVar
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

from bot.domain.errors import StorageError
from bot.store import faults
from bot.store.connection import Connection, begin, savepoint
from bot.store.schema import MIGRATIONS_TABLE, migrations

MEMORY = ":memory:"
WRITE_WAIT_MS = 60_000  # a writer waits this long for another process's write transaction
READ_WAIT_MS = 30_000  # WAL readers wait only while a brand-new file is being created
NO_WAL_FILES = ("SQLITE_READONLY_DIRECTORY", "SQLITE_CANTOPEN", "SQLITE_READONLY_CANTINIT")

_read_only_opens: ContextVar[bool] = ContextVar("hotpapers_read_only_opens", default=False)
_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()
_last_path: list[str] = [""]


@contextmanager
def read_only_opens() -> Iterator[None]:
    """Store.open calls made inside the block (e.g. by build_app) open for reading by default:
    read-only connections, writes (rare: an arXiv lookup) on demand, a missing file created."""
    token = _read_only_opens.set(True)
    try:
        yield
    finally:
        _read_only_opens.reset(token)


def read_only_default() -> bool:
    return _read_only_opens.get()


def last_opened_path() -> str:
    """The database this process opened last (to name it when a raw sqlite3 error escapes)."""
    return _last_path[0]


def write_lock(path: str) -> threading.RLock:
    """The process-wide write lock of one database file (a private one for `:memory:`)."""
    if path == MEMORY:
        return threading.RLock()
    key = os.path.realpath(path)
    with _locks_guard:
        return _locks.setdefault(key, threading.RLock())


class Connections:
    """The connections of one open database: one per thread, or one shared for `:memory:`."""

    def __init__(self, path: str, *, read_only: bool, writes_on_demand: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self.writes_on_demand = writes_on_demand and read_only
        self.memory = path == MEMORY
        self.lock = write_lock(path)
        self.immutable = False
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._shared: sqlite3.Connection | None = None
        self._first = True
        self.closed = False

    # -- connections ---------------------------------------------------------------------------

    def get(self) -> sqlite3.Connection:
        """The calling thread's connection, opened on first use."""
        if self.memory:
            if self._shared is None:
                self._shared = self._connect()
            return self._shared
        writing: sqlite3.Connection | None = getattr(self._local, "writing", None)
        if writing is not None:
            return writing  # inside a write transaction of a reading Store
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self.closed:
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _writer(self) -> sqlite3.Connection:
        """A reading Store's read-write connection for this thread, opened on its first write."""
        conn: sqlite3.Connection | None = getattr(self._local, "writer", None)
        if conn is None:
            conn = self._connect(writer=True)
            self._local.writer = conn
        return conn

    def statement_guard(self) -> Any:
        """Held around each statement on the shared `:memory:` connection; nothing otherwise."""
        return self.lock if self.memory else nullcontext()

    def close(self) -> None:
        with self._guard:
            self.closed = True
            opened, self._opened = self._opened, []
        for conn in opened:
            with suppress(sqlite3.Error):
                conn.close()
        self._shared = None
        self._local = threading.local()

    def _connect(self, *, writer: bool = False) -> sqlite3.Connection:
        try:
            try:
                conn = self._raw_connect(writer=writer)
            except sqlite3.OperationalError as exc:
                if not self.read_only or writer or self.memory or self.immutable:
                    raise
                if getattr(exc, "sqlite_errorname", "") not in NO_WAL_FILES:
                    raise
                # A WAL database in a folder we cannot write: nobody can be writing it either,
                # so read it as it is.
                self.immutable = True
                conn = self._raw_connect()
        except sqlite3.Error as exc:
            self.reraise(exc)
        with self._guard:
            self._opened.append(conn)
        return conn

    def _raw_connect(self, *, writer: bool = False) -> sqlite3.Connection:
        read_only = self.read_only and not writer
        target, uri = self.path, False
        if read_only and not self.memory:
            mode = "immutable=1" if self.immutable else "mode=ro"
            target, uri = f"file:{quote(os.path.abspath(self.path))}?{mode}", True
        wait = READ_WAIT_MS if read_only else WRITE_WAIT_MS
        conn = sqlite3.connect(
            target,
            timeout=wait / 1000,  # from the first statement: a new file may be mid-migration
            uri=uri,
            isolation_level=None,
            check_same_thread=False,  # each thread uses its own; close() may run elsewhere
            factory=Connection,
        )
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the file
            conn.execute("PRAGMA foreign_keys = ON")
            if not self.memory and not read_only:
                if self._first and not self.read_only:
                    conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA cache_size = -65536")
            conn.execute("PRAGMA temp_store = MEMORY")
            if read_only:
                conn.execute("PRAGMA query_only = ON")
            self._first = False
        except BaseException:
            conn.close()
            raise
        return conn

    # -- transactions --------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (process lock + BEGIN IMMEDIATE); nested: a savepoint.

        A reading Store with writes on demand runs it on a read-write connection of its own.
        """
        try:
            with self.lock:
                if self.writes_on_demand and getattr(self._local, "writing", None) is None:
                    with self._writing():
                        yield
                    return
                conn = self.get()
                if conn.in_transaction:
                    with savepoint(conn):
                        yield
                else:
                    with begin(conn, "BEGIN" if self.read_only else "BEGIN IMMEDIATE"):
                        yield
        except sqlite3.Error as exc:
            error = faults.storage_error(exc, self.path, writing=not self.read_only)
            if error is None:
                raise
            raise error from exc

    def wants_writer(self, exc: sqlite3.OperationalError) -> bool:
        """Whether `exc` is a reading Store refusing a write it should run on its writer."""
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        return (
            self.writes_on_demand
            and code == sqlite3.SQLITE_READONLY
            and getattr(self._local, "writing", None) is None
        )

    def write_statement(
        self, run: Callable[[sqlite3.Connection], sqlite3.Cursor]
    ) -> sqlite3.Cursor:
        """One autocommit write of a reading Store, on its read-write connection."""
        try:
            with self.lock:
                return run(self._writer())
        except sqlite3.Error as exc:
            self.reraise(exc)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        conn = self._writer()
        self._local.writing = conn
        try:
            with begin(conn, "BEGIN IMMEDIATE"):
                yield
        finally:
            self._local.writing = None

    def reraise(self, exc: sqlite3.Error) -> NoReturn:
        """Raise the StorageError for `exc` when it is a storage fault, else `exc` itself."""
        error = faults.storage_error(exc, self.path, writing=not self.read_only)
        if error is None:
            raise exc
        raise error from exc

    def error(self, exc: BaseException) -> StorageError | BaseException:
        """The StorageError for `exc` on this database, or `exc` itself."""
        return faults.storage_error(exc, self.path, writing=not self.read_only) or exc


# -- opening -----------------------------------------------------------------------------------


def open_database(
    path: str | Path, *, read_only: bool, writes_on_demand: bool = False
) -> Connections:
    """Open (read-write: create and migrate) the database at `path`; StorageError when it can't.

    writes_on_demand (with read_only): a reading command that may store something (an arXiv
    lookup): read-only connections, a read-write one opened for its first write transaction,
    and a missing file created and migrated first.
    """
    path = _checked_path(path)
    _last_path[0] = path
    creates = read_only and writes_on_demand and path != MEMORY
    if creates and not Path(path).exists():
        open_database(path, read_only=False).close()
    if path != MEMORY:
        _check_file(path, read_only=read_only)
    conns = Connections(path, read_only=read_only, writes_on_demand=writes_on_demand)
    try:
        _probe(conns)
        check_version(conns.get(), path)
        if read_only and migrations.pending(conns.get()):
            if creates and _blank(conns.get()):  # another process is creating it right now
                conns.close()
                open_database(path, read_only=False).close()
                return open_database(path, read_only=True, writes_on_demand=True)
            pending = migrations.pending(conns.get())
            raise StorageError(faults.older_message(path, pending[0]), path)
        if not read_only:
            migrate(conns)
    except BaseException as exc:
        conns.close()
        error = conns.error(exc)
        if error is exc:
            raise
        raise error from exc
    return conns


def migrate(conns: Connections) -> None:
    """Apply pending migrations once, even when several processes open a new file together."""
    conn = conns.get()
    if not migrations.pending(conn):
        return
    with conns.transaction():
        check_version(conn, conns.path)  # another process may have migrated while we waited
        migrations.apply(conn)


def check_version(conn: sqlite3.Connection, path: str) -> None:
    """Refuse a database that has migrations this version does not know."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MIGRATIONS_TABLE,)
    ).fetchone()
    if not exists:
        return
    known = {name for name, _, _ in migrations.registered}
    unknown = [
        r[0]
        for r in conn.execute(
            f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY rowid",
            (migrations.name,),
        )
        if r[0] not in known
    ]
    if unknown:
        raise StorageError(faults.newer_message(path, unknown[-1]), path)


def _blank(conn: sqlite3.Connection) -> bool:
    return bool(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0)


def _checked_path(path: str | Path) -> str:
    text = os.fspath(path)
    if "\x00" in text:
        raise StorageError(faults.nul_message())
    return text


def _check_file(path: str, *, read_only: bool) -> None:
    file = Path(path)
    if file.is_dir():
        raise StorageError(faults.directory_message(path), path)
    if read_only:
        if not file.is_file():
            raise StorageError(faults.missing_message(path), path)
        return
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise faults.storage_error(exc, path, writing=True) or exc from exc
    folder = str(file.parent)
    if (file.exists() and not os.access(path, os.W_OK)) or not os.access(folder, os.W_OK):
        raise StorageError(faults.unwritable_message(path), path)


def _probe(conns: Connections) -> None:
    """Read the schema once: 'not a database' and damaged first pages show up here."""
    conns.get().execute("SELECT count(*) FROM sqlite_master").fetchone()
    if not conns.memory:
        _check_length(conns.get(), conns.path)


def _check_length(conn: sqlite3.Connection, path: str) -> None:
    """A file shorter than its header says was truncated (checked when no WAL is in play).

    Sizes come from PRAGMAs and stat(): opening the file ourselves and closing it would drop the
    POSIX locks SQLite holds on it in this process.
    """
    wal = Path(path + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    if pages and os.stat(path).st_size < pages * page_size:
        raise StorageError(faults.corrupt_message(path), path)
