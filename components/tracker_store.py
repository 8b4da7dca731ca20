"""`ResilientSQLTrackerStore`: Rasa's SQL tracker store that rides out a database restart.

Rasa 3.6 wraps the tracker store in a fail-safe that, on any database error, answers from an
empty in-memory tracker and keeps the new events in memory only: during a PostgreSQL restart a
patient's conversation silently starts over and those turns are never stored. This store instead
retries the read or write (throwing away dead pooled connections first) for up to
`HSG_TRACKER_RETRY_SECONDS` (20 s by default), so a restart costs a delay, not data.

With `HSG_MASK_STORED_PII=true` the patient's text is stored with phone numbers, e-mail addresses
and introduced names masked (components/pii.py); the conversation in memory is unchanged, so the
current turn is answered from what the patient wrote.
"""
import asyncio
import logging
import os
import time
from typing import Any, Awaitable, Callable, Iterator, Optional, Text, TypeVar

import sqlalchemy.exc
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from components.pii import mask_event_data

logger = logging.getLogger(__name__)
T = TypeVar("T")


class ResilientSQLTrackerStore(SQLTrackerStore):
    """SQL tracker store whose reads and writes wait for the database to come back."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_seconds = float(os.environ.get("HSG_TRACKER_RETRY_SECONDS", "20"))
        self.mask_pii = os.environ.get("HSG_MASK_STORED_PII", "false").lower() in ("1", "true", "yes")

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        events = super()._additional_events(session, tracker)
        if not self.mask_pii:
            return events
        return (Event.from_parameters(mask_event_data(event.as_dict())) if event.type_name == "user"
                else event for event in events)

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
                self.engine.dispose()  # drop connections to the server that went away
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self._with_retry("read", lambda: super(ResilientSQLTrackerStore, self).retrieve(sender_id))

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        return await self._with_retry(
            "read", lambda: super(ResilientSQLTrackerStore, self).retrieve_full_tracker(conversation_id))

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self._with_retry("write", lambda: super(ResilientSQLTrackerStore, self).save(tracker))
