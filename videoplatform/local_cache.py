"""A few seconds of memory for reads every request repeats (the session, the signed-in
user): one process answers them from here instead of DynamoDB while they are fresh.

Per process, so a change made in another process shows here after at most the TTL; a
change made in this process (through the module that writes the item) drops its entry
at once. A TTL of 0 turns the cache off.

A cache made with ``single_refresh`` (what every viewer reads the same way) has one
reader refresh an expired entry while the others keep getting the old value for the
moment that takes (at most REFRESH_WAIT_S): a busy page then never has all its threads
re-read the same thing at once when its entry expires. A reader that gets MISSING must
``set`` the key, or ``discard`` it when there is nothing to keep."""

import itertools
import threading
import time
from collections import OrderedDict

from django.conf import settings

MISSING = object()
# Every value stored gets a new serial: two reads that got the same serial got the same
# stored value, so what was rendered from it can be reused (videos_app.watch_page).
_serials = itertools.count(1)
# How long the other readers wait for the one refreshing an expired entry (they keep
# getting the old value meanwhile); past this another reader refreshes it.
REFRESH_WAIT_S = 1.0


class LocalCache:
    def __init__(self, ttl_setting: str, *, max_items: int = 10_000, single_refresh=False):
        self.ttl_setting = ttl_setting
        self.max_items = max_items
        self.single_refresh = single_refresh
        # key -> (stored at, serial, value, when a reader began refreshing it or None)
        self._items: OrderedDict[str, tuple] = OrderedDict()
        self._lock = threading.Lock()

    def _ttl_s(self) -> float:
        return float(getattr(settings, self.ttl_setting, 0) or 0)

    def get(self, key: str):
        entry = self.get_entry(key)
        return MISSING if entry is MISSING else entry[0]

    def get_entry(self, key: str):
        """(value, serial) while fresh, else MISSING."""
        ttl_s = self._ttl_s()
        if ttl_s <= 0:
            return MISSING
        now = time.monotonic()
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return MISSING
            stored_at, serial, value, refreshing_since = found
            age = now - stored_at
            if age <= ttl_s:
                return value, serial
            if self.single_refresh and age <= ttl_s + REFRESH_WAIT_S:
                if refreshing_since is not None and now - refreshing_since <= REFRESH_WAIT_S:
                    return value, serial  # someone is reading it again: the old value
                self._items[key] = (stored_at, serial, value, now)
                return MISSING  # this reader refreshes it
            del self._items[key]
            return MISSING

    def set(self, key: str, value) -> int | None:
        """Keep ``value``; returns its serial (None when the cache is off)."""
        if self._ttl_s() <= 0:
            return None
        serial = next(_serials)
        with self._lock:
            self._items[key] = (time.monotonic(), serial, value, None)
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
        return serial

    def discard(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class ForgetsOnWrite:
    """Model mixin: every write of an item (save, update, delete) calls its
    ``forget_recent()`` afterwards, so what this process remembers of it goes too."""

    def forget_recent(self) -> None:
        raise NotImplementedError

    def save(self, *args, **kwargs):
        try:
            return super().save(*args, **kwargs)
        finally:
            self.forget_recent()

    def update(self, *args, **kwargs):
        try:
            return super().update(*args, **kwargs)
        finally:
            self.forget_recent()

    def delete(self, *args, **kwargs):
        try:
            return super().delete(*args, **kwargs)
        finally:
            self.forget_recent()
