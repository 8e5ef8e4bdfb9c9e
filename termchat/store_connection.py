"""One connection to the store's SQLite file: opening and migrating it, lock waits, write transactions, closing."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Self

from termchat import store_file
from termchat.errors import ConfigError, StoreError
from termchat.paths import PRIVATE_FILE_MODE
from termchat.store_format import SCHEMA_VERSION
from termchat.store_schema import migrate

DB_NAME = "termchat.db"
READ_WAIT = 5.0  # seconds a read (and opening) waits for another process's lock
WRITE_WAIT = 30.0  # seconds a write waits its turn: concurrent turns queue rather than fail


def _data_dir_error(data_dir: Path, exc: OSError) -> ConfigError:
    """A data dir termchat cannot use is the user's setting to fix: exit code 2, one line."""
    return ConfigError(
        f"cannot use the data dir {data_dir}: {exc.strerror or exc}",
        hint="check its permissions, or set TERMCHAT_DATA_DIR",
    )


class StoreConnection:
    """The store file, open: what every query of `Store` runs through. Cheap to open."""

    def __init__(self, path: Path, *, clock: Any = time.time, existing: bool = False) -> None:
        self.path = Path(path)
        self._now = clock
        self._existing = existing  # open the file only if it is there: never create a new one
        self._lost: str | None = None  # what happened to the file, once it is no longer ours
        self._db = self._open()
        self._identity = store_file.identity(self.path)

    def sibling(self) -> Self:
        """A second connection to this very file (for another thread); a StoreError if the file
        was moved, replaced or overwritten meanwhile, rather than a new empty store in its place."""
        self._check_file()
        other = type(self)(self.path, clock=self._now, existing=True)
        if other._identity != self._identity:
            other.close()
            self._lost = "was replaced by another file"
            self._check_file()
        return other

    @classmethod
    def in_dir(cls, data_dir: Path) -> Self:
        data_dir = Path(data_dir)
        try:
            if not data_dir.exists():
                data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise _data_dir_error(data_dir, exc) from None
        return cls(data_dir / DB_NAME)

    # -- opening and migrations -------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            exists = self.path.exists()
        except OSError as exc:  # the data dir cannot be searched (no x permission)
            raise _data_dir_error(self.path.parent, exc) from None
        if not exists and not os.access(self.path.parent, os.W_OK | os.X_OK):
            raise _data_dir_error(self.path.parent, PermissionError(13, "Permission denied"))
        store_file.check_before_open(self.path)
        self._make_private(exists)
        # SQLite answers "database is locked" without waiting in a few start-up races (two
        # processes creating the file or switching it to WAL at once): retry those briefly.
        deadline = time.monotonic() + READ_WAIT
        while True:
            try:
                return self._connect()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise store_file.store_error(self.path, exc, "open") from None
                time.sleep(0.05)
            except sqlite3.DatabaseError as exc:
                raise store_file.store_error(self.path, exc, "open") from None

    def _make_private(self, exists: bool) -> None:
        """The history is private whatever the data dir's mode: the database is created 0600
        (SQLite gives its -wal and -shm files the database's mode), and one left readable by
        others (say, by an older termchat) is narrowed to 0600."""
        try:
            if not exists:
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE))
            for suffix in ("", "-wal", "-shm"):
                path = f"{self.path}{suffix}"
                if os.path.exists(path) and os.stat(path).st_mode & 0o077:
                    os.chmod(path, PRIVATE_FILE_MODE)
        except OSError as exc:
            raise StoreError(f"cannot create the database {self.path}: {exc.strerror or exc}") from None

    def _connect(self) -> sqlite3.Connection:
        target: str | Path = f"{self.path.absolute().as_uri()}?mode=rw" if self._existing else self.path
        db = sqlite3.connect(
            target, timeout=READ_WAIT, isolation_level=None, check_same_thread=False, uri=self._existing
        )
        try:
            db.execute(f"PRAGMA busy_timeout = {int(READ_WAIT * 1000)}")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the database {self.path} was written by a newer termchat (schema {version}, "
                    f"this one knows {SCHEMA_VERSION})",
                    hint="upgrade termchat; the file was left untouched",
                )
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            if version < SCHEMA_VERSION:
                migrate(db)
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        lost = self._lost or store_file.still_ours(self.path, self._identity)
        held = store_file.hold_off_checkpoint(self.path) if lost == "was overwritten" else None
        if lost is not None and held is None:
            # Moved or replaced: SQLite leaves what is committed in the WAL, which keeps the old
            # name. Write it into the file we have open, so the moved file is whole on its own.
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
        try:
            self._db.close()
        finally:
            if held is not None:
                store_file.release_checkpoint(held)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        return self._transaction([(sql, params)])[-1]

    def _transaction(self, statements: list[tuple[str, tuple | dict]]) -> list[sqlite3.Cursor]:
        return self._atomically(lambda db: [db.execute(sql, params) for sql, params in statements])

    def _atomically(self, work: Any) -> Any:
        """Run `work(connection)` in one write transaction; any failure is one `StoreError`
        naming the real cause (a failed rollback after a full disk must not hide it)."""
        self._check_file()
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(WRITE_WAIT * 1000)}")
            try:
                try:
                    self._db.execute("BEGIN IMMEDIATE")
                finally:
                    self._db.execute(f"PRAGMA busy_timeout = {int(READ_WAIT * 1000)}")
                result = work(self._db)
                self._db.execute("COMMIT")
            except BaseException:
                # Ctrl-C can land anywhere here, even right after BEGIN or COMMIT: roll back only an
                # open transaction (SQLite may have rolled back already, e.g. on a full disk), so the
                # interrupt stays an interrupt and no transaction is left open for the next write.
                if self._db.in_transaction:
                    try:
                        self._db.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                raise
        except sqlite3.DatabaseError as exc:
            raise store_file.store_error(self.path, exc, "write to") from None
        return result

    def _check_file(self) -> None:
        """Stop writing once the file was moved, replaced or overwritten under us: a reply
        must not go on into an orphaned file nobody will open again."""
        if self._lost is None:
            self._lost = store_file.still_ours(self.path, self._identity)
        if self._lost is not None:
            raise StoreError(
                f"the database {self.path} {self._lost} while termchat was running; nothing more was written to it",
                hint="what is on screen is all there is",
            )

    def _read(self, sql: str, params: tuple | dict = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise store_file.store_error(self.path, exc, "read") from None
