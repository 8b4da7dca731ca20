"""Retention: delete the conversations whose last event is older than N days.

    python scripts/purge.py --days 90 [--url URL]
URL: a SQLAlchemy URL of the tracker store; default: $TRACKER_DB_URL, else the local SQLite store
($TRACKER_SQLITE_PATH, var/tracker.db). Production: postgresql://user:password@host:5432/hsg.
`make purge-older-than DAYS=N` runs it.
"""
import argparse
import os
import sys
import time

import sqlalchemy as sa


def default_url() -> str:
    if os.environ.get("TRACKER_DB_URL"):
        return os.environ["TRACKER_DB_URL"]
    return "sqlite:///" + os.environ.get("TRACKER_SQLITE_PATH", "var/tracker.db")


def purge(url: str, days: float, now: float = None) -> tuple:
    """(conversations, events) deleted."""
    cutoff = (now or time.time()) - days * 86400
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        if not sa.inspect(connection).has_table("events"):
            return 0, 0
        old = [row[0] for row in connection.execute(sa.text(
            "select sender_id from events group by sender_id having max(timestamp) < :cutoff"),
            {"cutoff": cutoff})]
        deleted = 0
        for start in range(0, len(old), 500):
            chunk = old[start:start + 500]
            deleted += connection.execute(
                sa.text("delete from events where sender_id in :ids").bindparams(
                    sa.bindparam("ids", expanding=True)), {"ids": chunk}).rowcount
    engine.dispose()
    return len(old), deleted


def main() -> int:
    parser = argparse.ArgumentParser(description="Delete conversations older than N days.")
    parser.add_argument("--days", type=float, required=True)
    parser.add_argument("--url", default=default_url())
    args = parser.parse_args()
    if args.days < 0:
        parser.error("--days must be 0 or more")
    conversations, events = purge(args.url, args.days)
    shown = sa.engine.make_url(args.url).render_as_string(hide_password=True)
    print(f"Deleted {conversations} conversations ({events} events) older than {args.days:g} days from {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
