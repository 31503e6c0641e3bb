"""A few seconds of memory for reads every request repeats (the session, the signed-in
user): one process answers them from here instead of DynamoDB while they are fresh.

Per process, so a change made in another process shows here after at most the TTL; a
change made in this process (through the module that writes the item) drops its entry
at once. A TTL of 0 turns the cache off."""

import threading
import time
from collections import OrderedDict

from django.conf import settings

MISSING = object()


class LocalCache:
    def __init__(self, ttl_setting: str, *, max_items: int = 10_000):
        self.ttl_setting = ttl_setting
        self.max_items = max_items
        self._items: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def _ttl_s(self) -> float:
        return float(getattr(settings, self.ttl_setting, 0) or 0)

    def get(self, key: str):
        if self._ttl_s() <= 0:
            return MISSING
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return MISSING
            stored_at, value = found
            if time.monotonic() - stored_at > self._ttl_s():
                del self._items[key]
                return MISSING
            return value

    def set(self, key: str, value) -> None:
        if self._ttl_s() <= 0:
            return
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

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
