"""A Django session engine that keeps sessions in DynamoDB.

The item's ``expires_at`` is the table's TTL attribute. DynamoDB deletes expired
items lazily (DynamoDB Local never does), so every load checks expiry itself.
"""

import contextlib
import time

from django.contrib.sessions.backends.base import CreateError, SessionBase, UpdateError
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from videoplatform.dynamodb import condition_failed, is_expired, key_usable
from videoplatform.local_cache import MISSING, LocalCache
from videoplatform.models import WebSession

# Every signed-in request reads its session; a few seconds of memory per process spare
# most of those reads (SESSION_CACHE_S). A log-out in another process applies here
# within that time; one in this process at once.
_recent = LocalCache("SESSION_CACHE_S")


class SessionStore(SessionBase):
    def _validate_session_key(self, key) -> bool:
        # A forged or garbled cookie too long for a key is simply no session.
        return bool(super()._validate_session_key(key)) and key_usable(key)

    def _get_item(self) -> WebSession | None:
        if not self.session_key:
            return None
        try:
            item = WebSession.get(self.session_key, consistent_read=True)
        except DoesNotExist:
            return None
        if is_expired(item.expires_at):
            return None
        return item

    def _load_raw(self) -> tuple[str, int] | None:
        """(data, expires_at) of this session, from memory while fresh."""
        if not self.session_key:
            return None
        cached = _recent.get(self.session_key)
        if cached is MISSING:
            item = self._get_item()
            cached = (item.data, int(item.expires_at)) if item is not None else None
            _recent.set(self.session_key, cached)
        if cached is not None and is_expired(cached[1]):
            return None
        return cached

    def load(self) -> dict:
        raw = self._load_raw()
        if raw is None:
            self._session_key = None
            return {}
        return self.decode(raw[0])

    def exists(self, session_key: str) -> bool:
        try:
            item = WebSession.get(session_key, consistent_read=True)
        except DoesNotExist:
            return False
        return not is_expired(item.expires_at)

    def create(self) -> None:
        while True:
            self._session_key = self._get_new_session_key()
            try:
                self.save(must_create=True)
            except CreateError:
                continue
            self.modified = True
            return

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        # Loading an unknown or expired key drops it: like Django's db engine, write under
        # a fresh key, which the update condition below then refuses (UpdateError).
        item = WebSession(
            self._get_or_create_session_key(),
            data=self.encode(data),
            expires_at=int(time.time()) + self.get_expiry_age(),
        )
        _recent.discard(item.session_key)
        try:
            if must_create:
                item.save(condition=WebSession.session_key.does_not_exist())
            else:
                # Updating a session that was deleted meanwhile (log out elsewhere)
                # must not resurrect it.
                item.save(condition=WebSession.session_key.exists())
        except PutError as error:
            if not condition_failed(error):
                raise
            if must_create:
                raise CreateError from error
            raise UpdateError from error

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        if not key:
            return
        _recent.discard(key)
        with contextlib.suppress(DeleteError):
            WebSession(key).delete()

    @classmethod
    def clear_expired(cls) -> None:
        # DynamoDB's TTL removes expired sessions; reads already ignore them.
        return None
