"""The Store shared by threads, read-only opens, the newer-schema refusal, storage faults."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest

from bot.domain.errors import StorageError
from bot.domain.models import Paper
from bot.services.importer import import_archive_files
from bot.store import Store

ARCHIVE = Path(__file__).resolve().parents[1] / "data" / "storage" / "archive"


def paper(n: int) -> Paper:
    return Paper(
        arxiv_id=f"2104.{n:05d}",
        title=f"Paper {n}",
        authors=("A. Author",),
        abstract="words",
        primary_category="cs.CV",
        categories=("cs.CV",),
        listing_date=date(2021, 4, 5),
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def imported(tmp_path: Path, files: int = 3) -> Path:
    db = tmp_path / "hp.db"
    store = Store.open(db)
    try:
        import_archive_files(store, sorted(ARCHIVE.glob("*.md"))[:files])
    finally:
        store.close()
    return db


# -- one Store, many threads -------------------------------------------------------------------


def test_one_store_is_shared_by_threads_writing_and_reading_at_once(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "hp.db")
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(25):
                with store.transaction():
                    store.get_papers([paper(k * 100 + i).arxiv_id])  # read, then write
                    store.upsert_papers([paper(k * 100 + i)])
                store.count("papers")
        except BaseException as exc:  # pragma: no cover - the failure being tested for
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.count("papers") == 100
    store.close()


def test_two_stores_on_one_file_write_at_once(tmp_path: Path) -> None:
    """Two ingest jobs of one `run`, each with its own Store in its own worker thread."""
    db = tmp_path / "hp.db"
    Store.open(db).close()
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def job(k: int) -> None:
        store = Store.open(db)
        try:
            start.wait()
            for i in range(40):
                with store.transaction():
                    store.get_papers([paper(k * 100 + i).arxiv_id])  # read, then write
                    store.upsert_papers([paper(k * 100 + i)])
        except BaseException as exc:  # pragma: no cover - the failure being tested for
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=job, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store = Store.open(db, read_only=True)
    assert store.count("papers") == 80
    store.close()


def test_objects_holding_store_conn_work_from_other_threads(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "hp.db")
    conn = store.conn  # kept, as the delivery log and subscriptions keep it
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(conn.execute("SELECT 1").fetchone()[0]))
    t.start()
    t.join()
    delivery, created = store.deliveries.begin("console", "c", "k", paper_ids=["2104.00001"])
    assert out == [1] and created and store.deliveries.items(delivery.id) == ["2104.00001"]
    store.close()


def test_memory_store_is_shared_by_threads(tmp_path: Path) -> None:
    store = Store.memory()
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(20):
                store.upsert_papers([paper(k * 100 + i)])
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and store.count("papers") == 60


def test_nested_transaction_is_a_savepoint(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "hp.db")
    with store.transaction():
        store.upsert_papers([paper(1)])
        with pytest.raises(RuntimeError), store.transaction():
            store.upsert_papers([paper(2)])
            raise RuntimeError("inner")
    assert sorted(store.get_papers([paper(1).arxiv_id, paper(2).arxiv_id])) == [paper(1).arxiv_id]
    store.close()


# -- read-only ---------------------------------------------------------------------------------


def test_read_only_open_reads_and_writes_nothing(tmp_path: Path) -> None:
    db = imported(tmp_path)
    before = digest(db)
    store = Store.open(db, read_only=True)
    assert store.count("papers") > 0
    with pytest.raises(StorageError, match="cannot be written"):
        store.upsert_papers([paper(1)])
    store.close()
    assert digest(db) == before


def test_read_only_open_of_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="there is no database at"):
        Store.open(tmp_path / "new.db", read_only=True)
    assert list(tmp_path.iterdir()) == []


def test_reading_store_creates_a_missing_file_and_writes_only_on_demand(tmp_path: Path) -> None:
    """ask and digest: read-only connections; an arXiv lookup or a subscription still stored."""
    from bot.store.db import read_only_opens

    db = tmp_path / "new.db"
    with read_only_opens():
        store = Store.open(db)
    assert store.read_only and store.count("papers") == 0
    store.upsert_papers([paper(1)])  # a transaction: on a read-write connection of its own
    store.conn.execute(  # a lone statement, as subscriptions write
        "INSERT INTO meta (key, value) VALUES ('k', 'v')"
    )
    assert store.count("papers") == 1 and store.get_meta("k") == "v"
    store.close()


# -- versions ----------------------------------------------------------------------------------


def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "hp.db"
    Store.open(db).close()
    conn = sqlite3.connect(db)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('hotpapers', 'm099_from_the_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()
    for read_only in (False, True):
        with pytest.raises(
            StorageError, match=r"newer hotpapers \(migration m099_from_the_future\)"
        ):
            Store.open(db, read_only=read_only)


# -- faults ------------------------------------------------------------------------------------


def test_disk_full_during_import_is_one_storage_error_and_keeps_what_was_stored(
    tmp_path: Path,
) -> None:
    db = imported(tmp_path, files=2)
    store = Store.open(db)
    kept = store.count("observations")
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # the disk fills up
    with pytest.raises(StorageError, match=r"the disk holding .*hp\.db is full"):
        import_archive_files(store, sorted(ARCHIVE.glob("*.md"))[2:])
    store.close()
    again = Store.open(db, read_only=True)
    assert again.count("observations") == kept
    assert again.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    again.close()


@pytest.mark.parametrize("read_only", [False, True])
def test_not_a_database(tmp_path: Path, read_only: bool) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# hotpapers\n\n" + "words " * 2000)
    before = digest(readme)
    with pytest.raises(StorageError, match=r"README\.md is not a hotpapers database"):
        Store.open(readme, read_only=read_only)
    assert digest(readme) == before


@pytest.mark.parametrize("read_only", [False, True])
def test_truncated_database(tmp_path: Path, read_only: bool) -> None:
    db = imported(tmp_path)
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    with pytest.raises(StorageError, match=r"hp\.db is damaged"):
        Store.open(db, read_only=read_only)


@pytest.mark.parametrize("read_only", [False, True])
def test_corrupted_database(tmp_path: Path, read_only: bool) -> None:
    db = imported(tmp_path)
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xa5" * (4096 - 100)  # the schema page, scribbled over
    db.write_bytes(bytes(data))
    with pytest.raises(StorageError, match=r"hp\.db is damaged"):
        Store.open(db, read_only=read_only)


@pytest.mark.parametrize("read_only", [False, True])
def test_directory_as_database(tmp_path: Path, read_only: bool) -> None:
    with pytest.raises(StorageError, match="is a directory, not a database file"):
        Store.open(tmp_path, read_only=read_only)


def test_nul_in_path(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="NUL character"):
        Store.open(f"{tmp_path}/a\x00b.db")


def test_scripts_run_inside_an_open_transaction() -> None:
    """Migrations' executescript joins BEGIN IMMEDIATE instead of committing it."""
    from bot.store.connection import split_statements

    script = """
        CREATE TABLE t (x TEXT);
        CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN INSERT INTO u VALUES (new.x || ';'); END;
        CREATE TABLE u (y TEXT);
        INSERT INTO t VALUES ('a;b');
    """
    assert len(split_statements(script)) == 4
    store = Store.memory()
    with pytest.raises(RuntimeError), store.transaction():
        store.conn.executescript(script)
        assert store.conn.in_transaction
        raise RuntimeError("roll it all back")
    assert store.conn.execute("SELECT name FROM sqlite_master WHERE name = 't'").fetchone() is None
