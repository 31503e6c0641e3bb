"""Likes, comments, subscriptions, the subscription feed, notifications and view counts,
through the views (htmx and plain form posts) against the real DynamoDB Local."""

import html
import re
import time

import pytest
from django.test import Client

from channels_app.accounts import user_set_role
from channels_app.models import Role
from channels_app.selectors import channel_get
from conftest import STRONG_PASSWORD, make_channel, make_user, sign_in
from social_app import fanout, notifications, services
from social_app.models import (
    SUBSCRIBER_SHARDS,
    Comment,
    FanoutTask,
    FeedEntry,
    Like,
    Notification,
    Subscription,
)
from social_app.selectors import COMMENTS_PAGE
from social_app.tests.factories import make_ready_video
from videoplatform.testing.requests import count_dynamodb_requests
from videos_app.models import Video
from videos_app.selectors import video_get
from videos_app.services import video_update

HTMX = {"HTTP_HX_REQUEST": "true"}


# --- helpers -------------------------------------------------------------------------


def client_for(user) -> Client:
    """A fresh client (own cookies) signed in as ``user``."""
    return sign_in(Client(), user)


def watch_url(video) -> str:
    return f"/watch/{video.video_id}/"


def fresh(video) -> Video:
    return video_get(video.video_id, consistent=True, with_counts=True)


def comment_items(video) -> list[Comment]:
    return list(Comment.query(video.video_id, consistent_read=True))


def comment_ids(html: str) -> list[str]:
    """Comment ids in document order (threads and replies alike)."""
    return re.findall(r'<li class="comment(?: reply)?" id="comment-([0-9A-Z.]+)"', html)


def thread_block(html: str, comment_id: str) -> str:
    """The HTML of one top-level comment's <li>, up to the next top-level comment."""
    start = html.index(f'<li class="comment" id="comment-{comment_id}"')
    following = html.find('<li class="comment" id="comment-', start + 1)
    return html[start:] if following == -1 else html[start:following]


def publish(
    *, owner, channel, title: str, visibility: str = "public", published_at: int | None = None
) -> Video:
    """A video becomes ready (publishing a public video enqueues its fan-out job) and the
    fan-out worker drains the open tasks."""
    video = make_ready_video(owner=owner, channel=channel, title=title, visibility=visibility)
    if published_at is not None:
        # Set before the worker runs, as if the video had been published at that time.
        video.update(actions=[Video.published_at.set(published_at)])
    drain_fanouts()
    return fresh(video)


def drain_fanouts() -> None:
    while fanout.fanout_run_once(worker_id="test-drain"):
        pass


def fanout_tasks(video) -> list[FanoutTask]:
    return list(FanoutTask.query(f"video#{video.video_id}", consistent_read=True))


def notifications_of(user) -> list[Notification]:
    return list(Notification.query(user.user_id, consistent_read=True))


def subscribe(user, channel, *, subscribed: bool = True):
    return services.subscription_set(
        user=user, channel_id=channel.channel_id, subscribed=subscribed
    )


def unread_badge(client) -> int:
    html = client.get("/notifications/bell/", **HTMX).content.decode()
    return int(re.search(r'data-unread="(\d+)"', html).group(1))


def away_from_window_edge(window_s: int = 60, margin_s: float = 5.0) -> None:
    """Rate-limit windows are fixed: start a burst well inside one, so it cannot reset mid-test."""
    into = time.time() % window_s
    if into > window_s - margin_s:
        time.sleep(window_s - into + 0.1)


@pytest.fixture
def owner():
    return make_user(display_name="Olivia Owner")


@pytest.fixture
def video(owner):
    return make_ready_video(owner=owner, title="Owner's clip")


@pytest.fixture
def other_video(owner):
    return make_ready_video(owner=owner, title="Another clip")


@pytest.fixture
def viewer():
    return make_user(display_name="Victor Viewer")


@pytest.fixture
def viewer_client(viewer):
    return client_for(viewer)


# --- Likes ---------------------------------------------------------------------------


class TestLikes:
    def test_htmx_like_returns_partial(self, video, viewer, viewer_client):
        """An htmx like answers with the button partial saying "Liked" and the count 1."""
        response = viewer_client.post(f"/watch/{video.video_id}/like/", {"liked": "1"}, **HTMX)
        assert response.status_code == 200
        html = response.content.decode()
        assert html.lstrip().startswith('<form id="like-button"'), html[:200]
        assert ">Liked</button>" in html
        assert '<span class="like-count">1</span>' in html
        assert 'name="liked" value="0"' in html  # the next press unlikes
        assert fresh(video).like_count == 1
        assert Like.count(video.video_id, consistent_read=True) == 1

    def test_no_js_like_redirects_back(self, video, viewer_client):
        """A plain form POST redirects to the watch page, which then shows the like."""
        response = viewer_client.post(f"/watch/{video.video_id}/like/", {"liked": "1"})
        assert response.status_code == 302
        assert response["Location"] == watch_url(video)
        page = viewer_client.get(watch_url(video)).content.decode()
        assert 'aria-pressed="true"' in page and '<span class="like-count">1</span>' in page

    def test_unlike_and_repeat(self, video, viewer_client):
        """Unliking brings the count back to 0, and repeating an unlike changes nothing."""
        viewer_client.post(f"/watch/{video.video_id}/like/", {"liked": "1"}, **HTMX)
        for _ in range(2):
            html = viewer_client.post(
                f"/watch/{video.video_id}/like/", {"liked": "0"}, **HTMX
            ).content.decode()
            assert ">Like</button>" in html and '<span class="like-count">0</span>' in html
        assert fresh(video).like_count == 0
        assert Like.count(video.video_id, consistent_read=True) == 0

    @pytest.mark.parametrize("headers", [{}, HTMX], ids=["form", "htmx"])
    def test_private_video_of_someone_else_is_404(self, owner, viewer_client, headers):
        """Liking a private video you cannot see is a 404 and changes no count."""
        private = make_ready_video(owner=owner, visibility="private")
        response = viewer_client.post(f"/watch/{private.video_id}/like/", {"liked": "1"}, **headers)
        assert response.status_code == 404
        assert fresh(private).like_count == 0
        assert Like.count(private.video_id, consistent_read=True) == 0

    def test_liked_videos_page(self, video, viewer_client):
        """/feed/liked/ lists a liked video, and no longer after unliking."""
        other = make_ready_video(title="Never liked")
        viewer_client.post(f"/watch/{video.video_id}/like/", {"liked": "1"})
        page = viewer_client.get("/feed/liked/").content.decode()
        assert "Owner&#x27;s clip" in page and watch_url(video) in page
        assert "Never liked" not in page and watch_url(other) not in page
        viewer_client.post(f"/watch/{video.video_id}/like/", {"liked": "0"})
        assert watch_url(video) not in viewer_client.get("/feed/liked/").content.decode()

    def test_like_signed_out_redirects_to_login(self, client, video):
        """A signed-out like goes to the login page and writes nothing."""
        response = client.post(f"/watch/{video.video_id}/like/", {"liked": "1"})
        assert response.status_code == 302 and response["Location"].startswith(
            "/accounts/login/?next="
        )
        assert fresh(video).like_count == 0


# --- Comments ------------------------------------------------------------------------


def post_comment(client, video, text: str, *, parent_id: str | None = None, headers=HTMX):
    data = {"text": text}
    if parent_id:
        data["parent_id"] = parent_id
    return client.post(f"/watch/{video.video_id}/comments/", data, **headers)


class TestComments:
    def test_post_shows_newest_first(self, video, viewer_client):
        """Two comments are listed newest first and the count says 2."""
        assert post_comment(viewer_client, video, "first words").status_code == 200
        time.sleep(0.005)  # distinct milliseconds in the time-sortable ids
        html = post_comment(viewer_client, video, "second words").content.decode()
        assert html.index("second words") < html.index("first words")
        page = viewer_client.get(watch_url(video)).content.decode()
        assert page.index("second words") < page.index("first words")
        assert '<span class="comment-count">2</span> comments' in page

    def test_no_js_post_redirects_to_the_comment(self, video, viewer_client):
        """Without htmx, posting redirects to the watch page anchored at the new comment."""
        response = post_comment(viewer_client, video, "plain form comment", headers={})
        assert response.status_code == 302
        (item,) = comment_items(video)
        assert response["Location"] == f"{watch_url(video)}#comment-{item.comment_id}"
        page = viewer_client.get(response["Location"]).content.decode()
        assert "Comment posted." in page and "plain form comment" in page

    def test_reply_shows_under_its_parent(self, video, viewer_client):
        """A reply is rendered inside its parent's thread, not as a thread of its own."""
        post_comment(viewer_client, video, "the parent")
        (parent,) = comment_items(video)
        time.sleep(0.005)
        post_comment(viewer_client, video, "a later top-level comment")
        post_comment(viewer_client, video, "the reply", parent_id=parent.comment_id)
        reply = next(c for c in comment_items(video) if c.parent_id)
        assert reply.parent_id == parent.comment_id
        page = viewer_client.get(watch_url(video)).content.decode()
        block = thread_block(page, parent.comment_id)
        assert "the parent" in block and '<ul class="replies">' in block and "the reply" in block
        assert f'<li class="comment reply" id="comment-{reply.comment_id}">' in block
        assert "a later top-level comment" not in block

    def test_reply_to_a_reply_is_refused(self, video, viewer_client):
        """Replies are one level deep: replying to a reply gives a message and creates nothing."""
        post_comment(viewer_client, video, "top")
        (top,) = comment_items(video)
        post_comment(viewer_client, video, "reply", parent_id=top.comment_id)
        reply = next(c for c in comment_items(video) if c.parent_id)
        response = post_comment(viewer_client, video, "deeper", parent_id=reply.comment_id)
        assert response.status_code == 400
        assert "Replies go under the top-level comment." in response.content.decode()
        assert len(comment_items(video)) == 2
        assert fresh(video).comment_count == 2

    def test_edit_own_shows_edited(self, video, viewer_client):
        """Editing your comment replaces the text and marks it "(edited)"."""
        post_comment(viewer_client, video, "befor typo")
        (item,) = comment_items(video)
        response = viewer_client.post(
            f"/watch/{video.video_id}/comments/{item.comment_id}/edit/",
            {"text": "after fix"},
            **HTMX,
        )
        assert response.status_code == 200
        block = thread_block(response.content.decode(), item.comment_id)
        assert "after fix" in block and "(edited)" in block and "befor typo" not in block
        assert (
            Comment.get(video.video_id, item.comment_id, consistent_read=True).text == "after fix"
        )

    def test_edit_own_without_js_redirects(self, video, viewer_client):
        """The no-JS edit form redirects back to the comment."""
        post_comment(viewer_client, video, "v1")
        (item,) = comment_items(video)
        response = viewer_client.post(
            f"/watch/{video.video_id}/comments/{item.comment_id}/edit/", {"text": "v2"}
        )
        assert response.status_code == 302
        assert response["Location"] == f"{watch_url(video)}#comment-{item.comment_id}"
        assert "(edited)" in viewer_client.get(watch_url(video)).content.decode()

    def test_delete_own(self, video, viewer_client):
        """Deleting your comment removes its text and lowers the count."""
        post_comment(viewer_client, video, "regrettable remark")
        (item,) = comment_items(video)
        response = viewer_client.post(
            f"/watch/{video.video_id}/comments/{item.comment_id}/delete/", **HTMX
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "regrettable remark" not in html and "[deleted]" in html
        assert fresh(video).comment_count == 0
        assert Comment.get(video.video_id, item.comment_id, consistent_read=True).deleted

    def test_video_owner_deletes_someones_comment(self, owner, video, viewer_client):
        """The video's owner may delete another user's comment on it (and sees the button)."""
        post_comment(viewer_client, video, "spam from a viewer")
        (item,) = comment_items(video)
        owner_client = client_for(owner)
        page = owner_client.get(watch_url(video)).content.decode()
        assert f"/comments/{item.comment_id}/delete/" in page
        response = owner_client.post(f"/watch/{video.video_id}/comments/{item.comment_id}/delete/")
        assert response.status_code == 302
        assert Comment.get(video.video_id, item.comment_id, consistent_read=True).deleted
        assert fresh(video).comment_count == 0

    def test_moderator_deletes(self, video, viewer_client):
        """A user with the moderator role may delete any comment."""
        post_comment(viewer_client, video, "rule breaking")
        (item,) = comment_items(video)
        moderator = make_user()
        user_set_role(user=moderator, role=Role.MODERATOR, granted=True)
        response = client_for(moderator).post(
            f"/watch/{video.video_id}/comments/{item.comment_id}/delete/", **HTMX
        )
        assert response.status_code == 200
        assert Comment.get(video.video_id, item.comment_id, consistent_read=True).deleted
        assert fresh(video).comment_count == 0

    @pytest.mark.parametrize("headers", [{}, HTMX], ids=["form", "htmx"])
    def test_others_cannot_edit_or_delete(self, video, viewer_client, headers):
        """Another user gets 403 for edit and delete; the text and count stay."""
        post_comment(viewer_client, video, "mine alone")
        (item,) = comment_items(video)
        intruder = client_for(make_user())
        base = f"/watch/{video.video_id}/comments/{item.comment_id}"
        assert intruder.post(f"{base}/edit/", {"text": "hijacked"}, **headers).status_code == 403
        assert intruder.post(f"{base}/delete/", **headers).status_code == 403
        stored = Comment.get(video.video_id, item.comment_id, consistent_read=True)
        assert stored.text == "mine alone" and not stored.deleted and stored.edited_at is None
        assert fresh(video).comment_count == 1

    def test_signed_out_redirects_to_login_and_back(self, client, viewer, video):
        """Commenting signed out sends you to log in, creates nothing, and logging in brings
        you back to the video (not to a POST-only URL)."""
        # A browser sends the page the form was on (same-origin Referer).
        response = post_comment(
            client,
            video,
            "anonymous words",
            headers={"HTTP_REFERER": f"http://testserver{watch_url(video)}"},
        )
        assert response.status_code == 302
        location = response["Location"]
        assert location.startswith("/accounts/login/?next=")
        assert comment_items(video) == [] and fresh(video).comment_count == 0
        login = client.post(location, {"email": viewer.email, "password": STRONG_PASSWORD})
        assert login.status_code == 302
        assert client.get(login["Location"]).status_code == 200
        assert login["Location"].startswith(watch_url(video))

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", "Comment is required."),
            ("   \n ", "Comment is required."),
            ("x" * 2001, "Comment must be at most 2000 characters."),
        ],
        ids=["empty", "blank", "2001-chars"],
    )
    def test_bad_text_is_refused(self, video, viewer_client, text, message):
        """Empty or over-long comments get a clear message (htmx and form) and create nothing."""
        response = post_comment(viewer_client, video, text)
        assert response.status_code == 400 and message in response.content.decode()
        response = post_comment(viewer_client, video, text, headers={})
        assert response.status_code == 302
        assert message in viewer_client.get(response["Location"]).content.decode()
        assert comment_items(video) == [] and fresh(video).comment_count == 0

    def test_exactly_2000_chars_is_fine(self, video, viewer_client):
        """The limit is inclusive: 2000 characters are accepted."""
        assert post_comment(viewer_client, video, "y" * 2000).status_code == 200
        assert fresh(video).comment_count == 1

    def test_script_is_escaped(self, video, viewer_client):
        """HTML in a comment is shown as text, never as markup."""
        post_comment(viewer_client, video, "<script>alert(1)</script> <b>bold</b>")
        page = viewer_client.get(watch_url(video)).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt;" in page
        assert "<script>alert(1)" not in page and "<b>bold</b>" not in page

    def test_url_becomes_nofollow_link(self, video, viewer_client):
        """An http(s) URL becomes a link with rel="nofollow ugc noopener"; trailing
        punctuation stays outside it; other schemes stay text."""
        post_comment(
            viewer_client, video, "see https://example.com/a?b=1&c=2. or javascript:alert(1)"
        )
        page = viewer_client.get(watch_url(video)).content.decode()
        assert (
            '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc noopener" '
            'target="_blank">https://example.com/a?b=1&amp;c=2</a>.' in page
        )
        assert 'href="javascript:' not in page

    def test_reply_to_deleted_comment_is_refused(self, video, viewer_client):
        """Replying to a deleted comment gives a message and creates nothing."""
        post_comment(viewer_client, video, "soon gone")
        (item,) = comment_items(video)
        viewer_client.post(f"/watch/{video.video_id}/comments/{item.comment_id}/delete/", **HTMX)
        response = post_comment(viewer_client, video, "too late", parent_id=item.comment_id)
        assert response.status_code == 400
        assert "The comment you are replying to was deleted." in response.content.decode()
        response = post_comment(
            viewer_client, video, "too late", parent_id=item.comment_id, headers={}
        )
        assert (
            "The comment you are replying to was deleted."
            in viewer_client.get(response["Location"]).content.decode()
        )
        assert len(comment_items(video)) == 1 and fresh(video).comment_count == 0

    def test_reply_to_missing_comment_is_refused(self, video, viewer_client):
        """A parent id that does not exist gives a message and creates nothing."""
        response = post_comment(
            viewer_client, video, "hello?", parent_id="01HZZZZZZZZZZZZZZZZZZZZZZZ"
        )
        assert response.status_code == 400
        assert "no longer exists" in response.content.decode()
        assert comment_items(video) == []

    def test_comment_count_is_exact(self, video, viewer_client):
        """comment_count follows posts, replies and deletes, and a repeated delete is a no-op."""
        for text in ("one", "two", "three"):
            post_comment(viewer_client, video, text)
        top = sorted(comment_items(video), key=lambda c: c.comment_id)[0]
        post_comment(viewer_client, video, "a reply", parent_id=top.comment_id)
        assert fresh(video).comment_count == 4
        delete_url = f"/watch/{video.video_id}/comments/{top.comment_id}/delete/"
        assert viewer_client.post(delete_url, **HTMX).status_code == 200
        assert viewer_client.post(delete_url, **HTMX).status_code == 404
        assert fresh(video).comment_count == 3
        live = [c for c in comment_items(video) if not c.deleted]
        assert len(live) == 3
        page = viewer_client.get(watch_url(video)).content.decode()
        assert '<span class="comment-count">3</span> comments' in page

    def test_load_more_pages_whole_threads(self, settings, owner, video):
        """45 comments in threads page through "Load more" with no repeats, none missing,
        and no thread split across pages even where a page boundary falls inside one."""
        settings.COMMENTS_PER_MINUTE = 1000
        author = make_user()
        # Thread sizes (parent + replies), oldest first; chosen so that cutting the
        # newest-first key order every 20 items lands inside a thread twice.
        sizes = [1] * 4 + [4] + [1] * 14 + [5] + [1] * 18
        assert sum(sizes) == 45
        parents = []
        for i, _ in enumerate(sizes):
            parents.append(
                services.comment_post(user=author, video_id=video.video_id, text=f"thread {i}")
            )
        for parent, size in zip(parents, sizes, strict=True):
            for r in range(size - 1):
                services.comment_post(
                    user=author,
                    video_id=video.video_id,
                    text=f"reply {r}",
                    parent_id=parent.comment_id,
                )
        in_key_order = [
            c for c in Comment.query(video.video_id, scan_index_forward=False, consistent_read=True)
        ]
        assert len(in_key_order) == 45
        naive_cuts = [in_key_order[i] for i in range(COMMENTS_PAGE - 1, 45, COMMENTS_PAGE)]
        assert sum(1 for c in naive_cuts if c.parent_id) >= 2, (
            "the data must straddle page boundaries"
        )

        viewer = Client()
        html = viewer.get(watch_url(video)).content.decode()
        pages = []
        while True:
            ids = comment_ids(html)
            pages.append(ids)
            more = re.search(r'hx-get="(/watch/[^"]+/comments/more/\?after=[^"]+)"', html)
            if not more:
                break
            assert len(pages) < 10, "Load more never ends"
            html = viewer.get(more.group(1).replace("&amp;", "&")).content.decode()
            assert html.count('id="comments-more"') <= 1

        seen = [cid for page in pages for cid in page]
        assert len(seen) == len(set(seen)), "a comment was shown twice"
        assert set(seen) == {c.comment_id for c in in_key_order}
        assert len(pages) >= 3
        replies_of = {}
        for c in in_key_order:
            if c.parent_id:
                replies_of.setdefault(c.parent_id, set()).add(c.comment_id)
        for page in pages:
            on_page = set(page)
            for cid in page:
                if "." in cid:
                    assert cid.split(".")[0] in on_page, f"reply {cid} away from its parent"
                elif cid in replies_of:
                    assert replies_of[cid] <= on_page, f"thread {cid} split across pages"

    def test_thread_longer_than_a_page_is_shown_whole(self, settings, video):
        """A thread with more replies than a page holds is still shown whole, once."""
        settings.COMMENTS_PER_MINUTE = 1000
        author = make_user()
        older = services.comment_post(user=author, video_id=video.video_id, text="older thread")
        big = services.comment_post(user=author, video_id=video.video_id, text="popular thread")
        for r in range(COMMENTS_PAGE + 5):
            services.comment_post(
                user=author, video_id=video.video_id, text=f"reply {r}", parent_id=big.comment_id
            )
        viewer = Client()
        html = viewer.get(watch_url(video)).content.decode()
        seen = []
        for _ in range(5):
            seen += comment_ids(html)
            more = re.search(r'hx-get="(/watch/[^"]+/comments/more/\?after=[^"]+)"', html)
            if not more:
                break
            html = viewer.get(more.group(1).replace("&amp;", "&")).content.decode()
        assert len(seen) == len(set(seen)) == COMMENTS_PAGE + 7
        assert seen[0] == big.comment_id and seen[-1] == older.comment_id

    def test_load_more_on_private_video_is_404(self, owner):
        """ "Load more" does not leak a private video's comments."""
        private = make_ready_video(owner=owner, visibility="private")
        assert Client().get(f"/watch/{private.video_id}/comments/more/").status_code == 404

    def test_rate_limit(self, settings, video, viewer_client):
        """Over COMMENTS_PER_MINUTE a comment gets 429 with a message and is not stored."""
        settings.COMMENTS_PER_MINUTE = 3
        away_from_window_edge()
        for i in range(3):
            assert post_comment(viewer_client, video, f"quick {i}").status_code == 200
        response = post_comment(viewer_client, video, "one too many")
        assert response.status_code == 429
        assert "You are commenting too fast." in response.content.decode()
        response = post_comment(viewer_client, video, "still too many", headers={})
        assert response.status_code == 429
        assert "You are commenting too fast." in response.content.decode()
        assert len(comment_items(video)) == 3 and fresh(video).comment_count == 3


# --- Subscriptions -------------------------------------------------------------------


class TestSubscriptions:
    def test_htmx_toggle(self, viewer, viewer_client):
        """Subscribe then unsubscribe: the partial flips "Subscribed"/"Subscribe" with counts."""
        channel = make_channel()
        url = f"/c/{channel.handle}/subscribe/"
        html = viewer_client.post(url, {"subscribed": "1"}, **HTMX).content.decode()
        assert ">Subscribed</button>" in html and "1 subscriber<" in html
        assert channel_get(channel.channel_id, with_counts=True).subscriber_count == 1
        assert (
            Subscription.count(viewer.user_id, Subscription.channel_id == channel.channel_id) == 1
        )
        html = viewer_client.post(url, {"subscribed": "0"}, **HTMX).content.decode()
        assert ">Subscribe</button>" in html and "0 subscribers<" in html
        assert channel_get(channel.channel_id, with_counts=True).subscriber_count == 0
        assert (
            Subscription.count(viewer.user_id, Subscription.channel_id == channel.channel_id) == 0
        )

    def test_no_js_subscribe_redirects(self, viewer_client):
        """A plain form POST redirects to the channel page (or back to the watch page)."""
        owner = make_user()
        channel = make_channel(owner=owner)
        response = viewer_client.post(f"/c/{channel.handle}/subscribe/", {"subscribed": "1"})
        assert response.status_code == 302 and response["Location"] == f"/c/{channel.handle}/"
        page = viewer_client.get(response["Location"]).content.decode()
        assert ">Subscribed</button>" in page
        video = make_ready_video(owner=owner, channel=channel)
        response = viewer_client.post(
            f"/c/{channel.handle}/subscribe/", {"subscribed": "0", "back": watch_url(video)}
        )
        assert response["Location"] == watch_url(video)
        assert channel_get(channel.channel_id, with_counts=True).subscriber_count == 0

    def test_no_js_back_is_not_an_open_redirect(self, viewer_client):
        """A "back" outside /watch/ is ignored (the channel page instead)."""
        channel = make_channel()
        response = viewer_client.post(
            f"/c/{channel.handle}/subscribe/", {"subscribed": "1", "back": "https://evil.example/"}
        )
        assert response["Location"] == f"/c/{channel.handle}/"

    @pytest.mark.parametrize("headers", [{}, HTMX], ids=["form", "htmx"])
    def test_own_channel_is_refused(self, owner, headers):
        """Subscribing to your own channel gives a message and changes nothing."""
        channel = make_channel(owner=owner)
        owner_client = client_for(owner)
        response = owner_client.post(
            f"/c/{channel.handle}/subscribe/", {"subscribed": "1"}, **headers
        )
        if headers:
            assert response.status_code == 400
            body = response.content.decode()
        else:
            assert response.status_code == 302
            body = owner_client.get(response["Location"]).content.decode()
        assert "You cannot subscribe to your own channel." in body
        assert channel_get(channel.channel_id, with_counts=True).subscriber_count == 0
        assert Subscription.count(owner.user_id) == 0

    def test_missing_channel_is_404(self, viewer, viewer_client):
        """Subscribing to a channel that does not exist is a 404."""
        assert (
            viewer_client.post("/c/no-such-channel-x/subscribe/", {"subscribed": "1"}).status_code
            == 404
        )
        assert (
            viewer_client.post(
                "/c/no-such-channel-x/subscribe/", {"subscribed": "1"}, **HTMX
            ).status_code
            == 404
        )
        assert Subscription.count(viewer.user_id) == 0

    def test_notify_setting_saved(self, viewer, viewer_client):
        """The notification setting is saved as none, then all, and shown on the channel page."""
        channel = make_channel()
        subscribe(viewer, channel)
        url = f"/c/{channel.handle}/notifications/"
        assert Subscription.get(viewer.user_id, channel.channel_id).notify == "all"
        response = viewer_client.post(url, {"notify": "none"})
        assert response.status_code == 302
        assert (
            Subscription.get(viewer.user_id, channel.channel_id, consistent_read=True).notify
            == "none"
        )
        page = viewer_client.get(response["Location"]).content.decode()
        assert '<option value="none" selected>' in page and "Notification setting saved." in page
        viewer_client.post(url, {"notify": "all"})
        assert (
            Subscription.get(viewer.user_id, channel.channel_id, consistent_read=True).notify
            == "all"
        )

    def test_notify_setting_bad_input(self, viewer, viewer_client):
        """A bad value or no subscription gives a message and creates nothing."""
        channel = make_channel()
        url = f"/c/{channel.handle}/notifications/"
        response = viewer_client.post(url, {"notify": "none"})
        assert (
            "Subscribe to the channel first."
            in viewer_client.get(response["Location"]).content.decode()
        )
        assert Subscription.count(viewer.user_id) == 0
        subscribe(viewer, channel)
        response = viewer_client.post(url, {"notify": "sometimes"})
        assert "Choose all or none." in viewer_client.get(response["Location"]).content.decode()
        assert (
            Subscription.get(viewer.user_id, channel.channel_id, consistent_read=True).notify
            == "all"
        )

    def test_notify_none_gets_feed_but_no_notification(self, owner):
        """On publish, a notify=none subscriber gets a feed entry but no notification,
        while a notify=all subscriber gets both."""
        channel = make_channel(owner=owner, name="Quiet Channel")
        loud, quiet = make_user(), make_user()
        subscribe(loud, channel)
        subscribe(quiet, channel)
        services.subscription_set_notify(user=quiet, channel_id=channel.channel_id, notify="none")
        video = publish(owner=owner, channel=channel, title="Fresh upload")
        for user in (loud, quiet):
            assert [e.video_id for e in FeedEntry.query(user.user_id, consistent_read=True)] == [
                video.video_id
            ]
        assert [n.kind for n in notifications_of(loud)] == ["video"]
        assert notifications_of(quiet) == []


# --- Subscription feed ---------------------------------------------------------------


class TestSubscriptionFeed:
    def test_merged_by_time(self, viewer, viewer_client):
        """Two followed channels' videos are merged newest first by publish time."""
        alice, bob = make_user(), make_user()
        a, b = make_channel(owner=alice), make_channel(owner=bob)
        subscribe(viewer, a)
        subscribe(viewer, b)
        base = int(time.time()) - 1000
        publish(owner=alice, channel=a, title="A-oldest", published_at=base + 1)
        publish(owner=bob, channel=b, title="B-second", published_at=base + 2)
        publish(owner=alice, channel=a, title="A-third", published_at=base + 3)
        publish(owner=bob, channel=b, title="B-newest", published_at=base + 4)
        page = viewer_client.get("/feed/subscriptions/").content.decode()
        titles = re.findall(r'<span class="title">([^<]+)</span>', page)
        assert titles == ["B-newest", "A-third", "B-second", "A-oldest"]

    def test_unlisted_and_private_never_appear(self, viewer, viewer_client):
        """Unlisted and private videos of a followed channel never reach the feed, nor a
        public video made private after its fan-out."""
        owner = make_user()
        channel = make_channel(owner=owner)
        make_ready_video(owner=owner, channel=channel, visibility="unlisted", title="Old unlisted")
        subscribe(viewer, channel)  # backfill sees only public videos
        for visibility in ("unlisted", "private"):
            hidden = publish(
                owner=owner, channel=channel, title=f"{visibility} one", visibility=visibility
            )
            # Even when queued for a fan-out by mistake, a non-public video is not fanned out.
            assert fanout.fanout_enqueue(
                kind="video",
                subject_id=hidden.video_id,
                channel_id=channel.channel_id,
                text=f"Test Channel published “{hidden.title}”",
                link=watch_url(hidden),
                published_ms=hidden.published_at * 1000,
            )
            drain_fanouts()
        hidden_later = publish(owner=owner, channel=channel, title="Hidden later")
        publish(owner=owner, channel=channel, title="Public one")
        video_update(
            actor=owner,
            video=hidden_later,
            title="Hidden later",
            description="",
            visibility="private",
        )
        page = viewer_client.get("/feed/subscriptions/").content.decode()
        titles = re.findall(r'<span class="title">([^<]+)</span>', page)
        assert titles == ["Public one"]
        assert [n.text for n in notifications_of(viewer)] == [
            f"Test Channel published “{t}”" for t in ("Hidden later", "Public one")
        ]

    def test_subscribing_backfills_and_unsubscribing_removes(self, viewer, viewer_client):
        """Subscribing brings the channel's existing videos into the feed; unsubscribing
        takes them out again (and leaves other channels' videos)."""
        owner, other_owner = make_user(), make_user()
        channel, other = make_channel(owner=owner), make_channel(owner=other_owner)
        make_ready_video(owner=owner, channel=channel, title="Back catalogue 1")
        make_ready_video(owner=owner, channel=channel, title="Back catalogue 2")
        make_ready_video(owner=other_owner, channel=other, title="Other channel video")
        assert "Back catalogue" not in viewer_client.get("/feed/subscriptions/").content.decode()
        viewer_client.post(f"/c/{channel.handle}/subscribe/", {"subscribed": "1"}, **HTMX)
        viewer_client.post(f"/c/{other.handle}/subscribe/", {"subscribed": "1"}, **HTMX)
        page = viewer_client.get("/feed/subscriptions/").content.decode()
        assert (
            "Back catalogue 1" in page
            and "Back catalogue 2" in page
            and "Other channel video" in page
        )
        viewer_client.post(f"/c/{channel.handle}/subscribe/", {"subscribed": "0"}, **HTMX)
        page = viewer_client.get("/feed/subscriptions/").content.decode()
        assert "Back catalogue" not in page and "Other channel video" in page
        assert {e.channel_id for e in FeedEntry.query(viewer.user_id, consistent_read=True)} == {
            other.channel_id
        }

    def test_bounded_requests(self):
        """The feed page costs the same number of DynamoDB requests with 2 and with 20
        followed channels."""
        counts = []
        for followed in (2, 20):
            user = make_user()
            for _ in range(followed):
                owner = make_user()
                channel = make_channel(owner=owner)
                make_ready_video(owner=owner, channel=channel, title="Feed item")
                subscribe(user, channel)
            client = client_for(user)
            with count_dynamodb_requests() as calls:
                response = client.get("/feed/subscriptions/")
            assert response.status_code == 200
            assert (
                response.content.decode().count('<span class="title">Feed item</span>') == followed
            )
            assert "Scan" not in calls
            counts.append(len(calls))
        assert counts[0] == counts[1], counts
        # Session, user, feed, videos, and the cards' channels this process does not
        # remember yet (one BatchGetItem).
        assert counts[0] <= 5, counts

    def test_signed_out_redirects(self, client):
        """The feed is for signed-in users."""
        response = client.get("/feed/subscriptions/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- Notifications -------------------------------------------------------------------


class TestNotifications:
    def test_publish_notifies_subscribers(self, owner, viewer, viewer_client):
        """Becoming ready enqueues the publish fan-out job (nothing is delivered while
        publishing); the worker then notifies a notify=all subscriber exactly once."""
        channel = make_channel(owner=owner, name="Maker Channel")
        subscribe(viewer, channel)
        video = make_ready_video(owner=owner, channel=channel, title="Brand new")
        tasks = fanout_tasks(video)
        assert sorted(t.shard for t in tasks) == list(range(SUBSCRIBER_SHARDS))
        assert {t.status for t in tasks} == {"open"} and all(t.open_partition for t in tasks)
        assert notifications_of(viewer) == []
        drain_fanouts()
        tasks = fanout_tasks(video)
        assert {t.status for t in tasks} == {"done"}
        assert not any(t.open_partition for t in tasks)
        assert sum(t.delivered for t in tasks) == 1
        drain_fanouts()  # a second run finds nothing left: no duplicate
        (note,) = notifications_of(viewer)
        assert note.kind == "video" and note.link == watch_url(video) and not note.read
        page = viewer_client.get("/notifications/").content.decode()
        assert "Maker Channel published “Brand new”" in page
        assert notifications_of(owner) == []

    def test_comment_and_reply_notify_the_right_people(self, owner, video, viewer):
        """A comment on your video notifies you; a reply to your comment notifies you;
        your own comments and replies notify nobody about themselves."""
        own = services.comment_post(user=owner, video_id=video.video_id, text="owner's own note")
        assert notifications_of(owner) == []
        comment = services.comment_post(user=viewer, video_id=video.video_id, text="nice")
        (note,) = notifications_of(owner)
        assert (
            note.kind == "comment"
            and note.link == f"{watch_url(video)}#comment-{comment.comment_id}"
        )
        services.comment_post(
            user=owner, video_id=video.video_id, text="thanks", parent_id=comment.comment_id
        )
        (reply_note,) = notifications_of(viewer)
        assert (
            reply_note.kind == "reply" and "Olivia Owner replied to your comment" in reply_note.text
        )
        assert len(notifications_of(owner)) == 1
        services.comment_post(
            user=viewer, video_id=video.video_id, text="self reply", parent_id=comment.comment_id
        )
        assert len(notifications_of(viewer)) == 1
        # A reply to the owner's own comment: the owner hears of it once, as a reply.
        services.comment_post(
            user=viewer, video_id=video.video_id, text="re", parent_id=own.comment_id
        )
        kinds = sorted(n.kind for n in notifications_of(owner))
        assert kinds == ["comment", "comment", "reply"]

    def test_bell_shows_unread_count(self, viewer, viewer_client):
        """The bell partial shows the number of unread notifications."""
        assert unread_badge(viewer_client) == 0
        for i in range(3):
            notifications.notification_create(
                user_id=viewer.user_id, kind="test", text=f"note {i}", link="/"
            )
        html = viewer_client.get("/notifications/bell/", **HTMX).content.decode()
        assert '<span class="unread-count" data-unread="3">3</span>' in html

    def test_bell_caps_at_99(self, viewer, viewer_client):
        """More than 99 unread show as "99+"."""
        with Notification.batch_write() as batch:
            for _ in range(105):
                batch.save(
                    notifications._notification(viewer.user_id, kind="test", text="bulk", link="/")
                )
        assert ">99+</span>" in viewer_client.get("/notifications/bell/", **HTMX).content.decode()

    def test_list_newest_first(self, viewer, viewer_client):
        """/notifications/ lists newest first."""
        for text in ("oldest note", "middle note", "newest note"):
            notifications.notification_create(
                user_id=viewer.user_id, kind="test", text=text, link="/"
            )
            time.sleep(0.005)  # distinct milliseconds in the ULIDs
        page = viewer_client.get("/notifications/").content.decode()
        assert page.index("newest note") < page.index("middle note") < page.index("oldest note")

    def test_open_marks_read_and_redirects(self, viewer, viewer_client):
        """Opening a notification marks it read and redirects to its link."""
        note = notifications.notification_create(
            user_id=viewer.user_id, kind="test", text="go", link="/watch/abc/"
        )
        notifications.notification_create(
            user_id=viewer.user_id, kind="test", text="stay", link="/"
        )
        assert unread_badge(viewer_client) == 2
        response = viewer_client.get(f"/notifications/{note.notification_id}/open/")
        assert response.status_code == 302 and response["Location"] == "/watch/abc/"
        assert Notification.get(viewer.user_id, note.notification_id, consistent_read=True).read
        assert unread_badge(viewer_client) == 1

    def test_mark_all_read(self, viewer, viewer_client):
        """ "Mark all as read" clears the count."""
        for i in range(4):
            notifications.notification_create(
                user_id=viewer.user_id, kind="test", text=f"n{i}", link="/"
            )
        assert unread_badge(viewer_client) == 4
        response = viewer_client.post("/notifications/read-all/")
        assert response.status_code == 302 and response["Location"] == "/notifications/"
        assert unread_badge(viewer_client) == 0
        assert all(n.read for n in notifications_of(viewer))
        assert (
            'class="notification unread"'
            not in viewer_client.get("/notifications/").content.decode()
        )

    def test_another_users_notification_is_404(self, viewer, viewer_client):
        """Opening someone else's notification is a 404 and leaves theirs unread."""
        someone = make_user()
        theirs = notifications.notification_create(
            user_id=someone.user_id, kind="test", text="private", link="/"
        )
        assert (
            viewer_client.get(f"/notifications/{theirs.notification_id}/open/").status_code == 404
        )
        assert not Notification.get(
            someone.user_id, theirs.notification_id, consistent_read=True
        ).read
        assert notifications_of(viewer) == []  # nothing created under the intruder either

    def test_expired_not_listed_or_counted(self, viewer, viewer_client):
        """A notification past expires_at (TTL deletion is lazy) is neither listed nor counted."""
        old = notifications.notification_create(
            user_id=viewer.user_id, kind="test", text="stale news", link="/"
        )
        old.update(actions=[Notification.expires_at.set(int(time.time()) - 10)])
        notifications.notification_create(
            user_id=viewer.user_id, kind="test", text="fresh news", link="/"
        )
        page = viewer_client.get("/notifications/").content.decode()
        assert "fresh news" in page and "stale news" not in page
        assert unread_badge(viewer_client) == 1

    def test_signed_out(self, client):
        """Notifications and the bell are for signed-in users."""
        for url in ("/notifications/", "/notifications/bell/"):
            response = client.get(url)
            assert response.status_code == 302 and response["Location"].startswith(
                "/accounts/login/"
            )


# --- View counts ---------------------------------------------------------------------


def record_view(client, video, *, page=None):
    """POST the view as the player does, to the URL the watch page gave it (``page``:
    a watch page already fetched; by default the page is fetched now)."""
    page = page if page is not None else client.get(watch_url(video))
    found = re.search(r'data-view-url="([^"]+)"', page.content.decode()) if page else None
    url = html.unescape(found.group(1)) if found else f"/watch/{video.video_id}/view/"
    return client.post(url)


class TestViewCounts:
    def test_once_per_signed_in_user(self, video, viewer, viewer_client):
        """A signed-in user's second view within 30 minutes is not counted, even from
        another browser."""
        first = record_view(viewer_client, video)
        assert first.status_code == 200 and first.json() == {"counted": True}
        assert record_view(viewer_client, video).json() == {"counted": False}
        assert record_view(client_for(viewer), video).json() == {"counted": False}
        assert fresh(video).view_count == 1
        assert record_view(client_for(make_user()), video).json() == {"counted": True}
        assert fresh(video).view_count == 2

    def test_anonymous_counted_once_per_page_served(self, video):
        """An anonymous view counts once per watch page served (its signed token); the
        same page's player sending it again counts nothing; no session is written."""
        anonymous = Client()
        page = anonymous.get(watch_url(video))
        assert record_view(anonymous, video, page=page).json() == {"counted": True}
        assert record_view(anonymous, video, page=page).json() == {"counted": False}
        assert record_view(Client(), video).json() == {"counted": True}
        assert fresh(video).view_count == 2
        assert "sessionid" not in anonymous.cookies

    def test_anonymous_without_a_page_token_counts_nothing(self, video, other_video):
        """A bare anonymous POST (no token), a forged token, or another video's token is
        refused with a message; nothing is counted and no session is written."""
        bare = Client()
        refused = bare.post(f"/watch/{video.video_id}/view/")
        assert refused.status_code == 400 and "Reload" in refused.json()["error"]
        assert "sessionid" not in bare.cookies
        forged = Client().post(f"/watch/{video.video_id}/view/?t=abc:def")
        assert forged.status_code == 400
        page = Client().get(watch_url(other_video))
        token = re.search(r"t=([^\"&]+)", page.content.decode()).group(1)
        assert Client().post(f"/watch/{video.video_id}/view/?t={token}").status_code == 400
        assert fresh(video).view_count == 0

    def test_expired_marker_counts_again(self, video, viewer, viewer_client):
        """After the 30-minute window (marker expired, not yet deleted) a view counts again."""
        from videoplatform.models import Counter

        record_view(viewer_client, video)
        marker = Counter.get(f"view#{video.video_id}#u:{viewer.user_id}")
        marker.update(actions=[Counter.expires_at.set(int(time.time()) - 1)])
        assert record_view(viewer_client, video).json() == {"counted": True}
        assert fresh(video).view_count == 2

    def test_page_load_does_not_count(self, video, viewer_client):
        """GETting the watch page (and refreshing it) counts no view."""
        for _ in range(3):
            assert viewer_client.get(watch_url(video)).status_code == 200
            assert Client().get(watch_url(video)).status_code == 200
        assert fresh(video).view_count == 0

    def test_private_video_of_others_is_404(self, owner, viewer_client):
        """A view on someone else's private video is a 404 and counts nothing."""
        private = make_ready_video(owner=owner, visibility="private")
        assert record_view(viewer_client, private).status_code == 404
        assert record_view(Client(), private).status_code == 404
        assert fresh(private).view_count == 0
        assert record_view(client_for(owner), private).json() == {"counted": True}

    def test_get_is_not_allowed(self, video, viewer_client):
        """Only POST records a view."""
        assert viewer_client.get(f"/watch/{video.video_id}/view/").status_code == 405
        assert fresh(video).view_count == 0
