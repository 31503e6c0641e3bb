"""The same comment form sent several times (a double click, a retry, four at once)
makes one comment; each rendered form carries its own token."""

import re
import threading

from django.test import Client
from django.urls import reverse

from conftest import make_user, sign_in
from social_app.models import Comment
from social_app.services import comment_post
from social_app.tests.factories import make_ready_video
from videoplatform.tallies import tallies_get, video_subject


def _comments(video_id):
    return [c for c in Comment.query(video_id) if not c.deleted]


def test_four_identical_posts_at_once_make_one_comment():
    video = make_ready_video()
    author = make_user()
    clients = [sign_in(Client(), author) for _ in range(4)]
    url = reverse("comment_create", kwargs={"video_id": video.video_id})
    form = {"text": "Only once, please", "client_token": "tok_" + "a1b2c3d4e5f6g7h8"}
    answers, barrier = [], threading.Barrier(4)

    def post(client):
        barrier.wait()
        answers.append(client.post(url, form).status_code)

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [302] * 4
    assert [c.text for c in _comments(video.video_id)] == ["Only once, please"]
    subject = video_subject(video.video_id)
    assert tallies_get([subject], consistent=True)[subject].comments == 1


def test_a_repeated_post_answers_with_the_first_comment():
    video = make_ready_video()
    author = make_user()
    first = comment_post(user=author, video_id=video.video_id, text="Hello", client_token="x" * 20)
    again = comment_post(user=author, video_id=video.video_id, text="Hello", client_token="x" * 20)
    assert again.comment_id == first.comment_id
    assert len(_comments(video.video_id)) == 1


def test_another_form_or_another_person_posts_a_new_comment():
    video = make_ready_video()
    author, other = make_user(), make_user()
    comment_post(user=author, video_id=video.video_id, text="One", client_token="y" * 20)
    comment_post(user=author, video_id=video.video_id, text="Two", client_token="z" * 20)
    # The token is scoped to its author: someone else's post with it is their own.
    comment_post(user=other, video_id=video.video_id, text="Three", client_token="y" * 20)
    assert sorted(c.text for c in _comments(video.video_id)) == ["One", "Three", "Two"]


def test_every_page_view_carries_fresh_tokens():
    video = make_ready_video()
    client = sign_in(Client(), make_user())
    comment_post(user=make_user(), video_id=video.video_id, text="Reply to me")
    page = client.get(reverse("watch", kwargs={"video_id": video.video_id})).content.decode()
    tokens = re.findall(r'name="client_token" value="([A-Za-z0-9_-]+)"', page)
    assert len(tokens) >= 2  # the new-comment form and the reply form
    assert len(set(tokens)) == 1  # one per page view: claims are per reply target
    again = client.get(reverse("watch", kwargs={"video_id": video.video_id})).content.decode()
    assert not set(tokens) & set(re.findall(r'name="client_token" value="([^"]+)"', again))


def test_one_token_replies_once_per_thread():
    """The reply forms of one page share a token: the claim is per thread, so replies to
    two threads both count and a repeated reply to one counts once."""
    video = make_ready_video()
    author = make_user()
    first = comment_post(user=make_user(), video_id=video.video_id, text="First thread")
    second = comment_post(user=make_user(), video_id=video.video_id, text="Second thread")
    token = "r" * 24
    comment_post(user=author, video_id=video.video_id, text="Top level", client_token=token)
    for parent in (first, second, first):
        comment_post(
            user=author,
            video_id=video.video_id,
            text=f"Re: {parent.text}",
            parent_id=parent.comment_id,
            client_token=token,
        )
    replies = sorted(c.text for c in _comments(video.video_id) if c.parent_id)
    assert replies == ["Re: First thread", "Re: Second thread"]
    assert "Top level" in {c.text for c in _comments(video.video_id) if not c.parent_id}
