"""Fixed-window counters in DynamoDB, so limits hold across every web process."""

import time
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist

from videoplatform.dynamodb import is_expired
from videoplatform.errors import RateLimited
from videoplatform.models import Counter


@dataclass(frozen=True)
class Window:
    key: str
    expires_at: int

    @property
    def retry_after_s(self) -> int:
        return max(1, self.expires_at - int(time.time()))


def window_for(name: str, *, window_s: int, now: float | None = None) -> Window:
    current = time.time() if now is None else now
    start = int(current // window_s) * window_s
    return Window(key=f"{name}#{start}", expires_at=start + window_s)


def counter_value(window: Window) -> int:
    try:
        item = Counter.get(window.key, consistent_read=True)
    except DoesNotExist:
        return 0
    # TTL deletion is lazy: an expired counter still readable counts as zero.
    if is_expired(item.expires_at):
        return 0
    return int(item.count)


def counter_increment(window: Window) -> int:
    """Atomically add one (an ADD update, no read-modify-write) and return the new count."""
    item = Counter(window.key)
    item.update(actions=[Counter.count.add(1), Counter.expires_at.set(window.expires_at)])
    return int(item.count)


def enforce(name: str, *, limit: int, window_s: int, message: str) -> None:
    """Count one more action in the current window; over ``limit`` raises RateLimited."""
    if counter_increment(window_for(name, window_s=window_s)) > limit:
        raise RateLimited(message)
