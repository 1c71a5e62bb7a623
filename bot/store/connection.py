"""sqlite3 connections as the store uses them: scripts inside transactions, per-thread routing."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.store.db import Connections


class Connection(sqlite3.Connection):
    """A connection whose executescript joins an open transaction instead of committing it.

    (sqlite3's executescript COMMITs a pending transaction first: a migration that uses it would
    otherwise escape the BEGIN IMMEDIATE that keeps concurrent first opens apart.)
    """

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        if not self.in_transaction:
            return super().executescript(sql_script)
        cursor = self.cursor()
        for statement in split_statements(sql_script):
            cursor.execute(statement)
        return cursor


def split_statements(script: str) -> list[str]:
    """Complete SQL statements of a script, in order (triggers and quoted `;` kept whole)."""
    statements, buffer = [], ""
    for part in script.split(";"):
        buffer += part + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                statements.append(buffer)
            buffer = ""
    return statements


class ThreadConnection:
    """Stands in for a sqlite3.Connection: each call goes to the calling thread's connection.

    Objects that keep `store.conn` (the delivery log, subscriptions) stay usable from every thread.
    On a reading Store with writes on demand, a statement refused as a write (query_only refuses
    it before changing anything) runs again on the thread's read-write connection.
    """

    def __init__(self, conns: Connections) -> None:
        self._conns = conns

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        with self._conns.statement_guard():
            try:
                return self._conns.get().execute(sql, parameters)
            except sqlite3.OperationalError as exc:
                if not self._conns.wants_writer(exc):
                    raise
        return self._conns.write_statement(lambda conn: conn.execute(sql, parameters))

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        if self._conns.writes_on_demand:
            parameters = list(parameters)  # may be run twice: on the reader, then the writer
        with self._conns.statement_guard():
            try:
                return self._conns.get().executemany(sql, parameters)
            except sqlite3.OperationalError as exc:
                if not self._conns.wants_writer(exc):
                    raise
        return self._conns.write_statement(lambda conn: conn.executemany(sql, parameters))

    def executescript(self, script: str, /) -> sqlite3.Cursor:
        with self._conns.statement_guard():
            return self._conns.get().executescript(script)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conns.get(), name)

    def __enter__(self) -> sqlite3.Connection:
        return self._conns.get().__enter__()

    def __exit__(self, *exc: Any) -> Any:
        return self._conns.get().__exit__(*exc)


# -- transactions on one connection ------------------------------------------------------------


@contextmanager
def begin(conn: sqlite3.Connection, begin: str) -> Iterator[None]:
    conn.execute(begin)
    try:
        yield
    except BaseException:
        rollback(conn)
        raise
    else:
        try:
            conn.execute("COMMIT")
        except BaseException:
            rollback(conn)
            raise


@contextmanager
def savepoint(conn: sqlite3.Connection) -> Iterator[None]:
    name = f"hp_{os.urandom(8).hex()}"  # unique; not `secrets`, slow to import
    conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            try:
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
            except sqlite3.Error:
                pass  # the first error is the one worth reporting
        raise
    else:
        conn.execute(f"RELEASE SAVEPOINT {name}")


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open; never hide the error that led here."""
    try:
        if conn.in_transaction:
            conn.rollback()
    except sqlite3.Error:
        pass
