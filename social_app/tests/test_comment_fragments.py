"""The comment threads are rendered once per remembered page and kind of viewer, then
finished per request: each viewer still sees exactly their own controls, real tokens,
and a comment posted in this process at once."""

import re
import time
from types import SimpleNamespace

from django.test import Client
from django.urls import reverse

from channels_app.selectors import user_get
from conftest import make_user, sign_in
from social_app import recent
from social_app.comment_fragments import COMMENT_TOKEN_PLACEHOLDER, CSRF_PLACEHOLDER
from social_app.models import Comment
from social_app.services import comment_post, like_set
from social_app.tests.factories import make_ready_video
from videoplatform import local_cache
from videoplatform.aws import dynamodb_client
from videos_app.services import video_update

THREADS_TEMPLATE = "social_app/_comment_threads.html"


def _watch(client, video) -> str:
    response = client.get(reverse("watch", kwargs={"video_id": video.video_id}))
    assert response.status_code == 200
    return response.content.decode()


def _comment_html(page: str, comment) -> str:
    """The markup of one comment (up to its reply form or the next comment)."""
    start = page.index(f'id="comment-{comment.comment_id}"')
    ends = (page.find("<li", start), page.find('<details class="reply-form"', start))
    end = min((i for i in ends if i > 0), default=len(page))
    return page[start:end]


def test_each_viewer_sees_edit_and_delete_only_on_their_own_comments():
    video = make_ready_video()
    author, other = make_user(), make_user()
    mine = comment_post(user=author, video_id=video.video_id, text="Mine")
    theirs = comment_post(user=other, video_id=video.video_id, text="Theirs")
    as_author = _watch(sign_in(Client(), author), video)
    as_other = _watch(sign_in(Client(), other), video)

    own = _comment_html(as_author, mine)
    assert "Edit comment" in own and "Delete" in own and "Report" not in own
    not_own = _comment_html(as_author, theirs)
    assert "Report" in not_own and "Edit" not in not_own and "Delete" not in not_own

    assert "Edit" not in _comment_html(as_other, mine)
    assert "Report" in _comment_html(as_other, mine)
    assert "Edit comment" in _comment_html(as_other, theirs)


def test_anonymous_viewers_get_no_forms_and_no_token():
    video = make_ready_video()
    comment_post(user=make_user(), video_id=video.video_id, text="Hello")
    page = _watch(Client(), video)
    start = page.index('<ul class="comment-list">')
    threads = page[start : page.index("</section>", start)]
    assert "<form" not in threads and "Report" not in threads
    assert "csrfmiddlewaretoken" not in threads


def test_the_video_owner_gets_a_delete_on_every_comment():
    video = make_ready_video()
    owner = user_get(video.owner_user_id)
    first = comment_post(user=make_user(), video_id=video.video_id, text="One")
    second = comment_post(user=make_user(), video_id=video.video_id, text="Two")
    page = _watch(sign_in(Client(), owner), video)
    for comment in (first, second):
        html = _comment_html(page, comment)
        assert "Delete" in html and "Edit" not in html


def test_no_placeholder_reaches_a_page_and_the_tokens_are_real():
    video = make_ready_video()
    author = make_user()
    parent = comment_post(user=make_user(), video_id=video.video_id, text="Reply here")
    client = sign_in(Client(), author)
    client.handler.enforce_csrf_checks = True  # from here on, as a browser
    page = _watch(client, video)
    assert CSRF_PLACEHOLDER not in page and COMMENT_TOKEN_PLACEHOLDER not in page
    assert "@@" not in page
    reply_form = page[page.index(f'name="parent_id" value="{parent.comment_id}"') - 600 :]
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', reply_form).group(1)
    token = re.search(r'name="client_token" value="([^"]+)"', reply_form).group(1)
    response = client.post(
        reverse("comment_create", kwargs={"video_id": video.video_id}),
        {
            "csrfmiddlewaretoken": csrf,
            "parent_id": parent.comment_id,
            "client_token": token,
            "text": "A reply through the shared form",
        },
    )
    assert response.status_code == 302
    replies = [c for c in Comment.query(video.video_id) if c.parent_id == parent.comment_id]
    assert [c.text for c in replies] == ["A reply through the shared form"]


def test_two_members_share_one_render_of_the_threads(renders):
    video = make_ready_video()
    comment_post(user=make_user(), video_id=video.video_id, text="Shared")
    first, second = sign_in(Client(), make_user()), sign_in(Client(), make_user())
    _watch(first, video)
    _watch(second, video)
    _watch(Client(), video)
    assert renders.count(THREADS_TEMPLATE) == 2  # one for members, one for anonymous


def test_a_comment_posted_in_this_process_shows_at_once():
    video = make_ready_video()
    viewer = sign_in(Client(), make_user())
    assert "Fresh comment" not in _watch(viewer, video)
    comment_post(user=make_user(), video_id=video.video_id, text="Fresh comment")
    assert "Fresh comment" in _watch(viewer, video)
    comment = next(c for c in Comment.query(video.video_id) if c.text == "Fresh comment")
    comment.update(actions=[Comment.text.set("Edited elsewhere")])
    assert "Edited elsewhere" in _watch(viewer, video)


def test_a_comment_written_by_another_process_shows_within_the_ttl(monkeypatch, settings):
    video = make_ready_video()
    viewer = sign_in(Client(), make_user())
    _watch(viewer, video)  # remembered
    other = make_user()
    # Written as another process would: not through this process's models.
    dynamodb_client().put_item(
        TableName=Comment.Meta.table_name,
        Item={
            "video_id": {"S": video.video_id},
            "comment_id": {"S": "01ZZZZZZZZZZZZZZZZZZZZZZZZ"},
            "user_id": {"S": other.user_id},
            "author_name": {"S": "Elsewhere"},
            "text": {"S": "From another process"},
            "created_at": {"N": "1"},
            "deleted": {"BOOL": False},
            "hidden": {"BOOL": False},
        },
    )
    assert "From another process" not in _watch(viewer, video)
    later = time.monotonic() + settings.VIDEO_CACHE_S + 1
    monkeypatch.setattr(local_cache, "time", SimpleNamespace(monotonic=lambda: later))
    assert "From another process" in _watch(viewer, video)
    assert recent.comments_first_page.get(video.video_id) is not local_cache.MISSING


def test_the_watch_page_shell_is_shared_but_each_viewer_gets_their_own_buttons(renders):
    video = make_ready_video()
    liker, other = make_user(), make_user()
    like_set(user=liker, video_id=video.video_id, liked=True)
    as_liker = sign_in(Client(), liker)
    as_other = sign_in(Client(), other)
    _watch(as_liker, video)  # everything remembered
    _watch(as_other, video)
    renders.clear()
    liker_page, other_page = _watch(as_liker, video), _watch(as_other, video)
    assert renders.count("videos_app/_watch_main.html") == 0  # both from the shell
    assert 'aria-pressed="true"' in liker_page.split('id="like-button"')[1][:600]
    assert 'aria-pressed="false"' in other_page.split('id="like-button"')[1][:600]
    assert liker.display_name in liker_page or "Log out" in liker_page


def test_a_video_edited_in_this_process_shows_on_its_page_at_once():
    video = make_ready_video(title="Before the edit")
    viewer = sign_in(Client(), make_user())
    assert "Before the edit" in _watch(viewer, video)
    owner = user_get(video.owner_user_id)
    video_update(
        actor=owner, video=video, title="After the edit", description="", visibility="public"
    )
    page = _watch(viewer, video)
    assert "After the edit" in page and "Before the edit" not in page
