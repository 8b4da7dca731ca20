"""Retention: `make purge-older-than DAYS=N` deletes whole conversations idle for N days."""
import socket
import subprocess
import time

import pytest
import sqlalchemy as sa

from scripts.purge import purge
from tests.conftest import ROOT

DAY = 86400


def _fill(url):
    """Rasa's events table with an old conversation, a recent one, and one active since long ago."""
    from rasa.core.tracker_store import SQLTrackerStore

    engine = sa.create_engine(url)
    SQLTrackerStore.Base.metadata.create_all(engine)
    now = time.time()
    rows = [("old", now - 100 * DAY), ("old", now - 99 * DAY), ("recent", now - DAY),
            ("long-running", now - 200 * DAY), ("long-running", now - 2 * DAY)]
    with engine.begin() as connection:
        for sender, timestamp in rows:
            connection.execute(sa.text("insert into events (sender_id, type_name, timestamp, data) "
                                       "values (:s, 'user', :t, '{}')"), {"s": sender, "t": timestamp})
    engine.dispose()


def _senders(url):
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        senders = sorted({r[0] for r in connection.execute(sa.text("select sender_id from events"))})
    engine.dispose()
    return senders


def test_purge_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    _fill(url)
    assert purge(url, 90) == (1, 2)
    assert _senders(url) == ["long-running", "recent"]
    assert purge(url, 90) == (0, 0)


def test_make_target(tmp_path):
    db = tmp_path / "tracker.db"
    _fill(f"sqlite:///{db}")
    out = subprocess.run(["make", "-s", "purge-older-than", "DAYS=1.5"], cwd=ROOT, capture_output=True,
                         text=True, env={**__import__("os").environ, "TRACKER_SQLITE_PATH": str(db)})
    assert out.returncode == 0, out.stderr
    assert "Deleted 2 conversations (4 events)" in out.stdout  # "old" and "long-running"


def _postgres():
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 5432)) == 0


@pytest.mark.skipif(not _postgres(), reason="needs PostgreSQL on 127.0.0.1:5432")
def test_purge_postgresql():
    name = f"hsg_purge_{int(time.time())}"
    admin = sa.create_engine("postgresql://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"create database {name}"))
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        _fill(url)
        assert purge(url, 90) == (1, 2)
        assert _senders(url) == ["long-running", "recent"]
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"drop database if exists {name}"))
        admin.dispose()
