"""The DynamoDB session engine against a real DynamoDB Local."""

import time

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, UpdateError
from pynamodb.exceptions import DoesNotExist

from videoplatform.models import WebSession
from videoplatform.sessions import SessionStore


def _stored(session_key: str) -> WebSession | None:
    try:
        return WebSession.get(session_key, consistent_read=True)
    except DoesNotExist:
        return None


@pytest.fixture
def session():
    """A saved session holding ``{"colour": "green"}``."""
    store = SessionStore()
    store["colour"] = "green"
    store.create()
    yield store
    store.delete()


class TestCreate:
    def test_create_writes_item_with_expiry(self, session):
        """create() writes an item whose expires_at is now plus the session age."""
        item = _stored(session.session_key)
        assert item is not None
        assert abs(item.expires_at - (time.time() + settings.SESSION_COOKIE_AGE)) < 10
        assert item.data != ""

    def test_custom_expiry_is_stored(self):
        """A session set to expire in 60 seconds stores that expiry."""
        store = SessionStore()
        store.set_expiry(60)
        store["x"] = 1
        store.save()
        try:
            assert abs(_stored(store.session_key).expires_at - (time.time() + 60)) < 10
        finally:
            store.delete()

    def test_create_makes_distinct_keys(self):
        """Two new sessions never share a key."""
        first, second = SessionStore(), SessionStore()
        first.create()
        second.create()
        try:
            assert first.session_key != second.session_key
        finally:
            first.delete()
            second.delete()

    def test_must_create_on_existing_key_raises(self, session):
        """save(must_create=True) on a key that is already stored raises CreateError and keeps
        the stored data."""
        clash = SessionStore(session_key=session.session_key)
        clash["colour"] = "red"
        with pytest.raises(CreateError):
            clash.save(must_create=True)
        assert SessionStore(session_key=session.session_key).load() == {"colour": "green"}


class TestLoad:
    def test_round_trip(self, session):
        """A second store with the same key loads the saved data."""
        loaded = SessionStore(session_key=session.session_key)
        assert loaded["colour"] == "green"
        assert loaded.exists(session.session_key)

    def test_update_is_visible(self, session):
        """Changing a value and saving is seen by the next load."""
        session["colour"] = "blue"
        session.save()
        assert SessionStore(session_key=session.session_key).load() == {"colour": "blue"}

    def test_unknown_key_loads_empty(self):
        """A key that was never stored loads as an empty session without a key."""
        store = SessionStore(session_key="nosuchkey0000000000000000000000a")
        assert store.load() == {}
        assert store.session_key is None
        assert not store.exists("nosuchkey0000000000000000000000a")

    def test_expired_item_loads_empty(self, session):
        """An expired item still in the table (TTL is lazy) loads empty and does not exist."""
        key = session.session_key
        item = _stored(key)
        item.expires_at = int(time.time()) - 1
        item.save()
        store = SessionStore(session_key=key)
        assert store.load() == {}
        assert not store.exists(key)

    def test_expired_session_is_not_revived(self, session):
        """Writing to a session whose item expired starts a new session under a new key."""
        key = session.session_key
        item = _stored(key)
        item.expires_at = int(time.time()) - 1
        item.save()
        store = SessionStore(session_key=key)
        store["colour"] = "orange"
        store.save()
        try:
            assert store.session_key != key
            assert SessionStore(session_key=store.session_key).load() == {"colour": "orange"}
            assert _stored(key).expires_at < time.time()
        finally:
            store.delete()


class TestDelete:
    def test_delete_removes_item(self, session):
        """delete() removes the item, so the key no longer exists."""
        key = session.session_key
        session.delete()
        assert _stored(key) is None
        assert not SessionStore().exists(key)
        assert SessionStore(session_key=key).load() == {}

    def test_delete_unknown_key_is_quiet(self):
        """Deleting a key that is not stored raises nothing."""
        SessionStore().delete("nosuchkey0000000000000000000000b")

    def test_save_after_delete_does_not_recreate(self, session):
        """Saving a session deleted meanwhile (logged out elsewhere) raises UpdateError and
        leaves no item behind."""
        key = session.session_key
        stale = SessionStore(session_key=key)
        stale["colour"] = "purple"
        SessionStore().delete(key)
        with pytest.raises(UpdateError):
            stale.save()
        assert _stored(key) is None

    def test_flush_deletes_and_forgets(self, session):
        """flush() (log out) deletes the stored item and drops the key."""
        key = session.session_key
        session.flush()
        assert session.session_key is None
        assert _stored(key) is None

    def test_cycle_key_moves_data_and_deletes_old_item(self, session):
        """cycle_key() (log in) stores the data under a new key and removes the old item."""
        old_key = session.session_key
        session.cycle_key()
        assert session.session_key != old_key
        assert _stored(old_key) is None
        assert SessionStore(session_key=session.session_key).load() == {"colour": "green"}

    def test_save_of_unloaded_unknown_key_raises_update_error(self):
        """Saving a store whose key is not stored, without reading it first, raises Django's
        UpdateError (a clean 400 in the middleware), not a crash, and stores nothing."""
        store = SessionStore(session_key="nosuchkey0000000000000000000000c")
        with pytest.raises(UpdateError):
            store.save()
        assert _stored("nosuchkey0000000000000000000000c") is None
