"""A signed-in request reads its session and user from memory for a few seconds:
changes made in this process apply at once, changes made elsewhere within the TTL."""

import pytest
from django.test import Client

from channels_app.accounts import user_set_banned
from channels_app.models import User, UserStatus
from conftest import make_user, sign_in
from videoplatform import local_cache
from videoplatform.models import WebSession
from videoplatform.testing.requests import count_dynamodb_requests


@pytest.fixture
def clock(monkeypatch):
    """The caches' clock, moved by hand (nothing waits)."""
    now = [1000.0]
    monkeypatch.setattr(local_cache.time, "monotonic", lambda: now[0])
    return now


def _reads(client, path="/studio/"):
    with count_dynamodb_requests() as calls:
        response = client.get(path)
    return response, calls


def test_a_repeated_request_reads_neither_session_nor_user(clock):
    client = sign_in(Client(), make_user())
    first, _ = _reads(client)
    second, calls = _reads(client)
    assert first.status_code == second.status_code == 200
    assert "GetItem" not in calls  # the studio's own reads are Queries


def test_log_out_in_this_process_applies_at_once(clock):
    client = sign_in(Client(), make_user())
    cookie = client.cookies["sessionid"].value
    _reads(client)
    client.post("/accounts/logout/")
    other = Client()
    other.cookies["sessionid"] = cookie
    response, _ = _reads(other)
    assert response.status_code == 302


def test_a_session_deleted_elsewhere_ends_within_the_ttl(clock, settings):
    client = sign_in(Client(), make_user())
    _reads(client)
    WebSession(client.cookies["sessionid"].value).delete()  # as another process would
    assert _reads(client)[0].status_code == 200  # still in memory
    clock[0] += settings.SESSION_CACHE_S + 0.1
    assert _reads(client)[0].status_code == 302


def test_a_ban_in_this_process_applies_at_once(clock):
    user = make_user()
    client = sign_in(Client(), user)
    _reads(client)
    assert user_set_banned(user=user, banned=True)
    assert _reads(client)[0].status_code == 302


def test_a_ban_written_elsewhere_applies_within_the_ttl(clock, settings):
    user = make_user()
    client = sign_in(Client(), user)
    _reads(client)
    User(user.user_id).update(actions=[User.status.set(str(UserStatus.BANNED))])
    clock[0] += settings.USER_CACHE_S + 0.1
    assert _reads(client)[0].status_code == 302


def test_each_reader_gets_its_own_user_object(clock):
    from channels_app.selectors import user_get

    user = make_user()
    first, second = user_get(user.user_id), user_get(user.user_id)
    assert first is not second and first.email == second.email
    first.display_name = "changed by one request"
    assert user_get(user.user_id).display_name == user.display_name


def test_a_ttl_of_zero_reads_every_time(settings):
    settings.SESSION_CACHE_S = settings.USER_CACHE_S = 0
    client = sign_in(Client(), make_user())
    _reads(client)
    _, calls = _reads(client)
    assert calls.count("GetItem") >= 2


def test_one_reader_refreshes_an_expired_shared_entry_while_the_others_get_the_old_value(
    clock, settings
):
    cache = local_cache.LocalCache("VIDEO_CACHE_S", single_refresh=True)
    cache.set("k", "old")
    clock[0] += settings.VIDEO_CACHE_S + 0.1
    assert cache.get("k") is local_cache.MISSING  # this reader reads it again
    assert cache.get("k") == "old"  # the others meanwhile
    cache.set("k", "new")
    assert cache.get("k") == "new"


def test_an_entry_nobody_refreshes_goes_after_the_wait(clock, settings):
    cache = local_cache.LocalCache("VIDEO_CACHE_S", single_refresh=True)
    cache.set("k", "old")
    clock[0] += settings.VIDEO_CACHE_S + 0.1
    assert cache.get("k") is local_cache.MISSING
    clock[0] += local_cache.REFRESH_WAIT_S + 0.1
    assert cache.get("k") is local_cache.MISSING  # never older than TTL + the wait
    assert cache.get("k") is local_cache.MISSING


def test_a_strict_cache_has_every_reader_read_again_after_the_ttl(clock, settings):
    cache = local_cache.LocalCache("SESSION_CACHE_S")
    cache.set("k", "old")
    clock[0] += settings.SESSION_CACHE_S + 0.1
    assert cache.get("k") is local_cache.MISSING
    assert cache.get("k") is local_cache.MISSING
