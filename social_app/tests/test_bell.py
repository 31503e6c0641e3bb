"""The bell counts unread notifications with one Query of the sparse unread index,
however many notifications a user has, read or not."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from conftest import make_user, sign_in
from social_app import notifications, recent
from social_app.models import Notification
from social_app.selectors import unread_count
from videoplatform.aws import dynamodb_client
from videoplatform.dynamodb import new_ulid, now_s
from videoplatform.testing.requests import count_dynamodb_requests

HTMX = {"HTTP_HX_REQUEST": "true"}


def _bulk(user, n, *, read=False):
    with Notification.batch_write() as batch:
        for _ in range(n):
            note = notifications._notification(user.user_id, kind="test", text="bulk", link="/")
            if read:
                note.read, note.unread_user_id = True, None
            batch.save(note)


def _bell_requests(user) -> list[str]:
    """What one poll reads once the count is no longer remembered (a poll 20 s on)."""
    client = sign_in(Client(), user)
    client.get("/notifications/bell/", **HTMX)  # session and user read once, like a page
    recent.forget_unread(user.user_id)
    with count_dynamodb_requests() as calls:
        assert client.get("/notifications/bell/", **HTMX).status_code == 200
    return [c for c in calls if c == "Query"]


def test_the_bell_makes_the_same_requests_at_5_and_1000_notifications():
    few, many = make_user(), make_user()
    _bulk(few, 5)
    _bulk(many, 995, read=True)
    _bulk(many, 5)
    assert unread_count(user=few) == unread_count(user=many) == 5
    assert _bell_requests(few) == _bell_requests(many) == ["Query"]


def test_a_second_tab_polling_within_the_ttl_reads_nothing():
    user = make_user()
    _bulk(user, 3)
    first, second = sign_in(Client(), user), sign_in(Client(), user)
    assert b'data-unread="3"' in first.get("/notifications/bell/", **HTMX).content
    with count_dynamodb_requests() as calls:
        assert b'data-unread="3"' in second.get("/notifications/bell/", **HTMX).content
    assert "Query" not in calls


def test_more_than_the_cap_still_one_query():
    user = make_user()
    _bulk(user, 150)
    recent.forget_unread(user.user_id)
    with count_dynamodb_requests() as calls:
        assert unread_count(user=user) == 100  # shown as "99+"
    assert calls == ["Query"]


def test_reading_takes_a_notification_out_of_the_count():
    user = make_user()
    first = notifications.notification_create(user_id=user.user_id, kind="t", text="a")
    notifications.notification_create(user_id=user.user_id, kind="t", text="b")
    assert unread_count(user=user) == 2
    notifications.notification_mark_read(user=user, notification_id=first.notification_id)
    assert unread_count(user=user) == 1
    assert notifications.notifications_mark_all_read(user=user) == 1
    assert unread_count(user=user) == 0
    stored = list(Notification.query(user.user_id))
    assert all(n.read and n.unread_user_id is None for n in stored)


@pytest.mark.parametrize("read", [False, True])
def test_migration_indexes_old_unread_notifications(read):
    """Notifications written before the index get their marker from migrate_data (the
    unread ones only), and a second run changes nothing."""
    user = make_user()
    dynamodb_client().put_item(
        TableName=Notification.Meta.table_name,
        Item={
            "user_id": {"S": user.user_id},
            "notification_id": {"S": new_ulid()},
            "kind": {"S": "test"},
            "text": {"S": "from before the index"},
            "link": {"S": "/"},
            "read": {"BOOL": read},
            "created_at": {"N": str(now_s())},
            "expires_at": {"N": str(now_s() + 3600)},
        },
    )
    assert unread_count(user=user) == 0
    out = io.StringIO()
    call_command("migrate_data", stdout=out)
    recent.forget_unread(user.user_id)  # as a web process does once BELL_CACHE_S passed
    assert unread_count(user=user) == (0 if read else 1)
    again = io.StringIO()
    call_command("migrate_data", stdout=again)
    assert (
        "0 unread notifications added" in again.getvalue().replace("     ", " ").replace("  ", " ")
        or "nothing to migrate" in again.getvalue()
    )
