"""The project's tracker store on SQLite: every event stored once and in order (it counts stored
events without Rasa's query when it read the tracker itself), WAL mode, optional masking."""
import asyncio
import sqlite3

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from privacy.tracker_store import ResilientSQLTrackerStore
from tests.conftest import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def _store(path):
    return ResilientSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path))


def _rows(path, sender):
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute(
            "SELECT type_name FROM events WHERE sender_id = ? ORDER BY id", (sender,))]


def _turn(tracker, text):
    for event in (UserUttered(text, {"name": "hsg_pain", "confidence": 0.9}),
                  ActionExecuted("action_answer_topic"), SlotSet("last_topic", "hsg_pain"),
                  BotUttered("answer"), ActionExecuted("action_listen")):
        tracker.update(event)


def test_every_event_is_stored_once_in_order(tmp_path):
    async def scenario():
        store, path = _store(tmp_path / "t.db"), tmp_path / "t.db"
        tracker = DialogueStateTracker("a", DOMAIN.slots)
        _turn(tracker, "first")
        await store.save(tracker)  # never read: Rasa's own count
        for n in range(5):
            tracker = await store.retrieve("a")
            _turn(tracker, f"question {n}")
            await store.save(tracker)
            tracker.update(BotUttered("a second save in the same turn"))
            await store.save(tracker)
            await store.save(tracker)  # nothing new: nothing written
        # a second store (another replica) reads and writes in between
        other = await _store(path).retrieve("a")
        _turn(other, "from the other replica")
        await _store(path).save(other)
        tracker = await store.retrieve("a")
        _turn(tracker, "back on the first")
        await store.save(tracker)
        again = await _store(path).retrieve("a")
        assert [e.as_dict() for e in again.events] == [e.as_dict() for e in tracker.events]
        assert len(_rows(path, "a")) == len(tracker.events) == 5 + 5 * 6 + 5 + 5

    asyncio.run(scenario())


def test_sqlite_runs_in_wal_mode(tmp_path):
    async def scenario():
        store = _store(tmp_path / "w.db")
        tracker = DialogueStateTracker("w", DOMAIN.slots)
        _turn(tracker, "hello")
        await store.save(tracker)

    asyncio.run(scenario())
    with sqlite3.connect(tmp_path / "w.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_masking_of_stored_text_is_an_option(tmp_path, monkeypatch):
    async def save(store, sender):
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        _turn(tracker, "my phone is 0912 345 678, does it hurt?")
        await store.save(tracker)
        return tracker

    async def scenario():
        plain = await save(_store(tmp_path / "m.db"), "plain")
        monkeypatch.setenv("HSG_MASK_STORED_PII", "true")
        masked = await save(_store(tmp_path / "m.db"), "masked")
        assert masked.latest_message.text == plain.latest_message.text  # in memory: as typed
        stored = {sender: (await _store(tmp_path / "m.db").retrieve(sender)).events[0].text
                  for sender in ("plain", "masked")}
        assert stored == {"plain": "my phone is 0912 345 678, does it hurt?",
                          "masked": "my phone is [phone], does it hurt?"}

    asyncio.run(scenario())


def test_saved_tracker_is_reused_only_while_the_database_agrees(tmp_path):
    async def scenario():
        path = tmp_path / "c.db"
        store = _store(path)
        tracker = DialogueStateTracker("c", DOMAIN.slots)
        _turn(tracker, "one")
        await store.save(tracker)
        assert await store.retrieve("c") is tracker  # nothing newer: no rebuild
        tracker.update(UserUttered("changed, never saved"))
        fresh = await store.retrieve("c")  # not the changed object
        assert fresh is not tracker and len(fresh.events) == len(tracker.events) - 1
        _turn(fresh, "two")
        await store.save(fresh)
        other = await _store(path).retrieve("c")  # another replica answers the next message
        _turn(other, "three")
        await _store(path).save(other)
        mine = await store.retrieve("c")
        assert mine is not fresh and [e.as_dict() for e in mine.events] == [e.as_dict() for e in other.events]
        with sqlite3.connect(path) as db:  # a purge
            db.execute("DELETE FROM events WHERE sender_id = 'c'")
        await store.save(mine)  # saved again: kept, but the database is what counts
        with sqlite3.connect(path) as db:
            db.execute("DELETE FROM events WHERE sender_id = 'c'")
        assert await store.retrieve("c") is None

    asyncio.run(scenario())


def test_the_store_keeps_one_driver_connection_and_replaces_a_broken_one(tmp_path):
    """Reads and writes of every turn share one connection taken from the pool once; a
    connection error throws it away (the retry takes a new one, nothing lost), any other error
    rolls it back and keeps it; another thread gets a pooled one."""
    import threading

    import pytest
    import sqlalchemy

    async def scenario():
        store = _store(tmp_path / "k.db")
        taken = []
        take = store.engine.raw_connection
        store.engine.raw_connection = lambda: taken.append(1) or take()
        tracker = DialogueStateTracker("k", DOMAIN.slots)
        for n in range(5):
            _turn(tracker, f"turn {n}")
            await store.save(tracker)
            assert await store.retrieve("k") is tracker  # max(id) asked on the same connection
            if n == 0:  # the first save counted the stored events on Rasa's pooled session
                assert len(taken) == 2
                taken.clear()
        assert taken == [] and len(_rows(tmp_path / "k.db", "k")) == 25

        class Broken:  # the connection as it looks after the database went away
            def __init__(self, real):
                self.real, self.invalidated = real, False

            def cursor(self):
                raise sqlite3.OperationalError("disk I/O error")

            def invalidate(self):
                self.invalidated = True
                self.real.invalidate()

        broken = Broken(store._kept[1])
        store._kept = (store._kept[0], broken)
        store.retry_seconds = 5
        _turn(tracker, "after the outage")
        await store.save(tracker)
        # a new kept connection, and one for counting the stored events (a retry trusts no count)
        assert broken.invalidated and store._kept[1] is not broken and len(taken) == 2
        assert len(_rows(tmp_path / "k.db", "k")) == 30  # stored once, after the retry

        kept = store._kept
        sql = "INSERT INTO events (sender_id, type_name, data) VALUES ('k', 'slot', '{}')"

        def insert_then_fail(cursor):
            cursor.execute(sql)
            raise sqlite3.IntegrityError("refused")

        with pytest.raises(sqlalchemy.exc.IntegrityError):
            store._driver_call(sql, insert_then_fail)
        assert store._kept is kept and not kept[1].driver_connection.in_transaction
        assert len(_rows(tmp_path / "k.db", "k")) == 30  # rolled back
        # An error that is not the driver's (an integer sqlite3 cannot hold) half-way through a
        # batch: the rows before it must not be committed by the next statement.
        def overflow_half_way(cursor):
            cursor.executemany(sql.replace("'{}'", "?"), [("{}",), (10 ** 30,)])

        with pytest.raises(OverflowError):
            store._driver_call(sql, overflow_half_way)
        assert store._kept is kept and not kept[1].driver_connection.in_transaction
        store._last_id("k")  # the next statement commits
        assert len(_rows(tmp_path / "k.db", "k")) == 30
        other = []
        thread = threading.Thread(target=lambda: other.append(store._last_id("k")))
        thread.start()
        thread.join()
        assert other == [store._last_id("k")] and store._kept is kept and len(taken) == 3

    asyncio.run(scenario())


def test_the_database_and_its_new_folder_are_readable_by_their_owner_only(tmp_path):
    """Patients' health questions: 0600 files in a 0700 folder, whatever the umask (issue 13)."""
    import os
    import stat

    old = os.umask(0o022)  # the usual default, which made the file 0644
    try:
        async def scenario():
            store = _store(tmp_path / "var" / "tracker.db")
            tracker = DialogueStateTracker("p", DOMAIN.slots)
            _turn(tracker, "chụp hsg có đau không")
            await store.save(tracker)

        asyncio.run(scenario())
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)  # noqa: E731
    assert mode(tmp_path / "var") == 0o700
    files = [p for p in (tmp_path / "var").iterdir() if p.name.startswith("tracker.db")]
    assert {p.name for p in files} >= {"tracker.db", "tracker.db-wal"}  # WAL mode while open
    assert all(mode(p) == 0o600 for p in files), {p.name: oct(mode(p)) for p in files}


def test_an_existing_readable_database_is_made_private_at_start(tmp_path):
    import os
    import stat

    path = tmp_path / "tracker.db"
    path.write_bytes(b"")
    os.chmod(path, 0o644)
    _store(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def _forget_turn(tracker):
    for event in (UserUttered("/affirm", {"name": "affirm", "confidence": 1.0}),
                  ActionExecuted("action_forget_me"), BotUttered("deleted"),
                  ActionExecuted("action_listen")):
        tracker.update(event)


async def _forget_scenario(store, other_replica):
    """Two conversations stored; one patient confirms "delete my data": hers is gone for every
    replica, the other is untouched, and her next message starts a new conversation."""
    for sender, story in (("her", "I had a miscarriage last year"), ("someone-else", "I had my appendix out")):
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        _turn(tracker, story)
        await store.save(tracker)
    tracker = await store.retrieve("her")
    _turn(tracker, "does it hurt")
    await store.save(tracker)
    assert (await other_replica.retrieve("her")) is not None  # the other replica knows her too
    tracker = await store.retrieve("her")
    _forget_turn(tracker)
    await store.save(tracker)
    await store.save(tracker)  # saved again in the same turn: still nothing stored
    assert await store.retrieve("her") is None
    assert await other_replica.retrieve("her") is None
    assert len((await store.retrieve("someone-else")).events) > 0
    fresh = DialogueStateTracker("her", DOMAIN.slots)
    _turn(fresh, "hello again")
    await store.save(fresh)
    assert [e.text for e in (await store.retrieve("her")).events if isinstance(e, UserUttered)] == ["hello again"]


def test_a_confirmed_forget_me_deletes_the_conversation_on_sqlite(tmp_path):
    path = tmp_path / "t.db"
    asyncio.run(_forget_scenario(_store(path), _store(path)))
    # not left in free pages of the file or in its WAL either (secure_delete, checkpoint)
    files = {file.name: file.read_bytes() for file in tmp_path.iterdir()}
    assert not [name for name, data in files.items() if b"miscarriage" in data]
    assert any(b"appendix" in data for data in files.values())
    assert len(_rows(path, "her")) == 5 and _rows(path, "someone-else")


def test_a_confirmed_forget_me_deletes_the_conversation_on_postgresql():
    import os
    import socket
    import subprocess

    import pytest

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 5432)) != 0:
            pytest.skip("needs PostgreSQL on 127.0.0.1:5432")
    name = f"hsg_forget_{os.getpid()}"

    def store():
        return ResilientSQLTrackerStore(DOMAIN, dialect="postgresql", url="127.0.0.1", port=5432,
                                        db=name, username="postgres", login_db="postgres")

    try:
        first = store()
        asyncio.run(_forget_scenario(first, store()))
        first.engine.dispose()
    finally:
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c",
                        f"drop database if exists {name} with (force)"], capture_output=True)
