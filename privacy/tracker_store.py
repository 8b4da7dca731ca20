"""`ResilientSQLTrackerStore`: Rasa's SQL tracker store that rides out a database restart.

Rasa 3.6 wraps the tracker store in a fail-safe that, on any database error, answers from an
empty in-memory tracker and keeps the new events in memory only: during a PostgreSQL restart a
patient's conversation silently starts over and those turns are never stored. This store instead
retries the read or write (throwing away dead pooled connections first) for up to
`HSG_TRACKER_RETRY_SECONDS` (20 s by default), so a restart costs a delay, not data.

With `HSG_MASK_STORED_PII=true` the patient's text is stored with phone numbers, e-mail addresses
and introduced names masked (privacy/pii.py); the conversation in memory is unchanged, so the
current turn is answered from what the patient wrote.

The two statements of every message (max(id) of the conversation, the insert of its new
events) run on one driver connection the store takes from the pool once and keeps: taking and
returning a pooled connection (with the pool's rollback) cost more than the statements.

On SQLite (the laptop default) connections stay open (pooled) and the database runs in WAL mode
with `synchronous=NORMAL`: a commit no longer waits for disk flushes and a checkpoint, and
`make report`/`make purge-older-than` can read while the bot writes. A power cut can lose the
last turns, not corrupt the file.

A patient's "delete my data" (issue 13; Vietnam's Decree 13/2023 gives her that right): when a
turn ran `action_forget_me` (after she confirmed), the save deletes every stored event of her
conversation instead of adding the turn's, so the next message starts a new conversation. Every
replica reads the same database, and the trackers kept here are re-read once the database holds
nothing for the sender, so none of them answers from the deleted conversation. SQLite runs with
`secure_delete` and checkpoints its WAL after a deletion, so the text does not stay in free pages
of the file; PostgreSQL's autovacuum reclaims the deleted rows.
"""
import asyncio
import itertools
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Awaitable, Callable, List, Optional, Text, Tuple, TypeVar

import sqlalchemy
import sqlalchemy.event
import sqlalchemy.exc
import sqlalchemy.orm
import sqlalchemy.pool
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from privacy.pii import mask_event_data

logger = logging.getLogger(__name__)
T = TypeVar("T")


# The id the database gave to the last row this connection inserted (ids are an autoincrement
# sequence; the lock store keeps other writers off this conversation meanwhile).
LAST_INSERTED_ID = {"sqlite": "SELECT last_insert_rowid()", "postgresql": "SELECT lastval()"}


# The action that, once it ran in a turn, makes the save delete the conversation (data/rules/)
FORGET_ACTION = "action_forget_me"

ROW_COLUMNS = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")


def _sessions(events: Any) -> int:
    return sum(1 for event in events if event.type_name == SessionStarted.type_name)


def _forgets(tracker: DialogueStateTracker) -> bool:
    """Whether the patient's confirmed "delete my data" ran in this turn: `FORGET_ACTION` among
    the events since her last message."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name == FORGET_ACTION:
            return True
    return False


def _sqlite_pragmas(connection: Any, _: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")  # deleted conversations are overwritten, not kept
    cursor.close()


def private_sqlite_file(db: Text) -> None:
    """Patients' health questions are stored here: the SQLite file (and the WAL and shared-memory
    files SQLite creates with its mode) readable and writable by its owner only, in a folder only
    the owner can enter when the store creates it (issue 13: it was created 0644). Rasa's store
    creates it with the process's umask; scripts/run.sh and scripts/prod.sh also set umask 077
    for the logs."""
    if db in ("", ":memory:") or db.startswith("file:"):
        return
    path = Path(db)
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if file.exists():
            os.chmod(file, 0o600)


class ResilientSQLTrackerStore(SQLTrackerStore):
    """SQL tracker store whose reads and writes wait for the database to come back, and that
    keeps the trackers it saved so that the next turn need not rebuild them from the database."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("dialect", "sqlite") == "sqlite":
            private_sqlite_file(kwargs.get("db") or "rasa.db")
        super().__init__(*args, **kwargs)
        self.retry_seconds = float(os.environ.get("HSG_TRACKER_RETRY_SECONDS", "20"))
        # sender id -> (the tracker last read or saved here, how many of its events are stored,
        # id of its last stored event when it may be reused next turn, else None, how many
        # sessions its events hold); recent first
        self._known: "OrderedDict[Text, Tuple[DialogueStateTracker, int, Optional[int], int]]" = OrderedDict()
        self.cache_size = int(os.environ.get("HSG_TRACKER_CACHE_SIZE", "2000"))
        self._kept: Optional[Tuple[int, Any]] = None  # (thread, driver connection): _driver_call
        self._kept_lock = threading.Lock()
        self.mask_pii = os.environ.get("HSG_MASK_STORED_PII", "false").lower() in ("1", "true", "yes")
        if self.engine.dialect.name == "sqlite":
            # SQLAlchemy 1.4 opens and closes a file connection per session (NullPool); closing the
            # last one checkpoints the WAL. Keep connections open instead, in WAL mode.
            url = self.engine.url
            self.engine.dispose()
            self.engine = sqlalchemy.create_engine(
                url, poolclass=sqlalchemy.pool.QueuePool, pool_size=2, max_overflow=8,
                connect_args={"check_same_thread": False})
            sqlalchemy.event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sqlalchemy.orm.sessionmaker(bind=self.engine)
        # The two statements of every message, compiled once for the driver (see _driver_call)
        last_id = sqlalchemy.select(sqlalchemy.func.max(self.SQLEvent.id)).where(
            self.SQLEvent.sender_id == sqlalchemy.bindparam("sender")).compile(dialect=self.engine.dialect)
        self._last_id_sql = (last_id.string, last_id.positional)
        insert = self.SQLEvent.__table__.insert().compile(
            dialect=self.engine.dialect, column_keys=list(ROW_COLUMNS), for_executemany=True)
        self._insert_sql = (insert.string, insert.positiontup if insert.positional else None)
        self._last_inserted_sql = LAST_INSERTED_ID.get(self.engine.dialect.name)
        delete = self.SQLEvent.__table__.delete().where(
            self.SQLEvent.sender_id == sqlalchemy.bindparam("sender")).compile(dialect=self.engine.dialect)
        self._delete_sql = (delete.string, delete.positional)

    def _new_events(self, tracker: DialogueStateTracker) -> Tuple[List[Event], int]:
        """The tracker's events not stored yet (masked if asked) and how many sessions the
        tracker holds. Rasa counts the stored events with a query on every save; a tracker read
        or saved here already says how many there are (the lock store keeps any other process
        off this conversation meanwhile). Any other tracker: Rasa's query."""
        known = self._known.get(tracker.sender_id)
        if known and known[0] is tracker:
            events = list(itertools.islice(tracker.events, known[1], None))
            sessions = known[3] + _sessions(events)
        else:
            with self.session_scope() as session:
                events = list(super()._additional_events(session, tracker))
            sessions = _sessions(tracker.events)
        if self.mask_pii:
            events = [Event.from_parameters(mask_event_data(event.as_dict()))
                      if event.type_name == "user" else event for event in events]
        return events, sessions

    async def _with_retry(self, what: Text, call: Callable[[], Awaitable[T]]) -> T:
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.2
        while True:
            try:
                return await call()
            except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError) as error:
                if time.monotonic() + delay > deadline:
                    raise
                logger.warning("Tracker store %s failed (%s); retrying in %.1f s",
                               what, str(error).splitlines()[0], delay)
                self._release_kept()
                self.engine.dispose()  # drop connections to the server that went away
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    def _remember(self, tracker: DialogueStateTracker, sessions: int,
                  last_id: Optional[int] = None) -> None:
        self._known[tracker.sender_id] = (tracker, len(tracker.events), last_id, sessions)
        self._known.move_to_end(tracker.sender_id)
        while len(self._known) > max(self.cache_size, 64):  # 64: the turns in progress
            self._known.popitem(last=False)

    def _last_id(self, sender_id: Text) -> Optional[int]:
        """max(id) of the sender's events, asked on a pooled driver connection: the query runs
        every message, and SQLAlchemy's statement path cost more than the query itself."""
        sql, positional = self._last_id_sql

        def ask(cursor: Any) -> Optional[int]:
            cursor.execute(sql, (sender_id,) if positional else {"sender": sender_id})
            row = cursor.fetchone()
            return row[0] if row else None

        return self._driver_call(sql, ask)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The tracker saved here last time if the database holds nothing newer for this sender
        (another replica, a purge) and it was not changed without being saved; else Rasa's read.
        Rebuilding a tracker from its events was 15% of the server's time per message."""
        async def read() -> Optional[DialogueStateTracker]:
            known = self._known.get(sender_id)
            if (known and known[2] is not None and len(known[0].events) == known[1]
                    and self._last_id(sender_id) == known[2]):
                self._known.move_to_end(sender_id)
                return known[0]
            self._known.pop(sender_id, None)
            tracker = await super(ResilientSQLTrackerStore, self).retrieve(sender_id)
            if tracker is not None:
                self._remember(tracker, _sessions(tracker.events))
            return tracker

        return await self._with_retry("read", read)

    def _reusable_last_id(self, tracker: DialogueStateTracker, sessions: int,
                          written: Optional[int]) -> Optional[int]:
        # Rasa reads only the current session back: a tracker holding an earlier one is not reused
        if self.cache_size <= 0 or sessions > 1:
            return None
        return written if written is not None else self._last_id(tracker.sender_id)

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        return await self._with_retry(
            "read", lambda: super(ResilientSQLTrackerStore, self).retrieve_full_tracker(conversation_id))

    async def save(self, tracker: DialogueStateTracker) -> None:
        attempts = 0

        async def attempt() -> None:
            nonlocal attempts
            if attempts:  # a failed write may have landed: count in the database this time
                self._known.pop(tracker.sender_id, None)
            attempts += 1
            if _forgets(tracker):
                self._forget(tracker.sender_id)
                return
            await self.stream_events(tracker)
            events, sessions = self._new_events(tracker)
            last_id = self._insert(tracker.sender_id, events)
            self._remember(tracker, sessions, self._reusable_last_id(tracker, sessions, last_id))

        await self._with_retry("write", attempt)

    def _forget(self, sender_id: Text) -> None:
        """Delete every stored event of the conversation (the patient asked and confirmed)."""
        sql, positional = self._delete_sql
        parameters = (sender_id,) if positional else {"sender": sender_id}
        deleted = self._driver_call(sql, lambda cursor: (cursor.execute(sql, parameters), cursor.rowcount)[1])
        self._known.pop(sender_id, None)
        if self.engine.dialect.name == "sqlite":
            # the WAL still holds the pages as they were before the deletion: write them back
            self._driver_call("PRAGMA wal_checkpoint(TRUNCATE)",
                              lambda cursor: cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)"))
        logger.info("Deleted a conversation at the patient's request (%d events)", deleted)

    def _insert(self, sender_id: Text, events: List[Event]) -> Optional[int]:
        """Rasa's `SQLTrackerStore.save` (same rows) as one executemany on a pooled driver
        connection, without ORM objects or SQLAlchemy's statement path (they cost more than
        the write); returns the id the database gave the last row (None: nothing written,
        or a database without a query for it here)."""
        if not events:
            return None
        sql, order = self._insert_sql
        rows = [self._row(sender_id, event) for event in events]
        parameters = [tuple(row[name] for name in order) for row in rows] if order else rows
        return self._driver_call(sql, lambda cursor: self._write(cursor, sql, parameters))

    def _write(self, cursor: Any, sql: Text, parameters: Any) -> Optional[int]:
        cursor.executemany(sql, parameters)
        if self._last_inserted_sql is None:
            return None
        cursor.execute(self._last_inserted_sql)
        return cursor.fetchone()[0]

    def _driver_call(self, sql: Text, work: Callable[[Any], T]) -> T:
        """`work(cursor)` on the store's own driver connection, committed; driver errors raised as
        SQLAlchemy's (so that `_with_retry` sees a database that went away). The connection is
        taken from the pool once and kept by the thread that first asks (the server's event
        loop): taking and returning it, with the pool's rollback on return, cost more than the
        two statements of a message. On any error the work is rolled back; a connection error,
        or a rollback that fails, throws the connection away. Other threads use pooled ones."""
        dbapi = self.engine.dialect.dbapi
        me = threading.get_ident()
        kept = self._kept  # read once: another thread may change it
        mine = kept is not None and kept[0] == me
        if mine:
            connection = kept[1]  # type: ignore[index]
        else:
            connection = self.engine.raw_connection()
            if kept is None:
                with self._kept_lock:
                    if self._kept is None:
                        self._kept, mine = (me, connection), True
        try:
            cursor = connection.cursor()
            result = work(cursor)
            cursor.close()
            connection.commit()
            return result
        except BaseException as error:
            broken = isinstance(error, (dbapi.OperationalError, dbapi.InterfaceError))
            if not broken:
                try:
                    connection.rollback()  # a half-written batch must not be committed later
                except Exception:
                    broken = True
            if broken:
                connection.invalidate()
                if mine:
                    self._drop_kept(me)
            if isinstance(error, dbapi.Error):
                raise sqlalchemy.exc.DBAPIError.instance(sql, None, error, dbapi.Error) from error
            raise
        finally:
            if not mine:
                connection.close()

    def _drop_kept(self, owner: int) -> None:
        with self._kept_lock:
            if self._kept is not None and self._kept[0] == owner:
                self._kept = None

    def _release_kept(self) -> None:
        """Give the kept connection back to the pool (only its own thread may)."""
        kept = self._kept
        if kept is not None and kept[0] == threading.get_ident():
            self._drop_kept(kept[0])
            kept[1].close()

    @staticmethod
    def _row(sender_id: Text, event: Event) -> dict:
        data = event.as_dict()
        return {"sender_id": sender_id, "type_name": event.type_name,
                "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
                "action_name": data.get("name"), "data": json.dumps(data)}
