"""The watch page below the player and its comments as people use them: each comment
with an avatar and a relative time, Reply and Edit as buttons (not bare disclosure
triangles), clickable and escaped links in the description, a description folded
behind "Show more", and comments in the "Top" or "Newest" order."""

import re
import time

import pytest
from django.test import Client
from django.urls import reverse

from channels_app.selectors import user_get
from conftest import make_user, sign_in
from social_app import recent, selectors
from social_app.services import comment_post
from social_app.tests.factories import make_ready_video
from videoplatform.local_cache import MISSING
from videoplatform.testing.requests import count_dynamodb_requests
from videos_app.models import Video

HTMX = {"HTTP_HX_REQUEST": "true"}


def watch(client, video, query: str = "") -> str:
    response = client.get(reverse("watch", args=[video.video_id]) + query)
    assert response.status_code == 200
    return response.content.decode()


def comment_block(page: str, comment) -> str:
    """One comment's own markup (its <li> up to the next comment or the end of its list)."""
    start = page.index(f'id="comment-{comment.comment_id}"')
    ends = [i for i in (page.find("<li", start), page.find("</ul>", start)) if i > 0]
    return page[start : min(ends)]


def comment_order(page: str) -> list[str]:
    """The texts of the top-level comments, in page order."""
    blocks = re.findall(
        r'<li class="comment" id="comment-[^"]+">.*?<div class="comment-text">([^<]*)</div>',
        page,
        re.S,
    )
    return blocks


def set_description(video, text: str) -> None:
    video.update(actions=[Video.description.set(text)])


class TestCommentMarkup:
    def test_a_comment_shows_an_avatar_with_the_initial_and_a_relative_time(self):
        video = make_ready_video()
        author = make_user(display_name="zoë writer")
        comment = comment_post(user=author, video_id=video.video_id, text="Hello there")
        block = comment_block(watch(Client(), video), comment)

        avatar = re.search(
            r'<span class="comment-avatar avatar-tone-(\d)" aria-hidden="true">Z</span>', block
        )
        assert avatar, block
        assert re.search(r'<time datetime="[^"]+" title="[^"]+">just now</time>', block), block
        assert '<strong class="author">zoë writer</strong>' in block

    def test_an_edited_comment_says_so_beside_its_time(self):
        video = make_ready_video()
        author = make_user()
        comment = comment_post(user=author, video_id=video.video_id, text="typo")
        client = sign_in(Client(), author)
        client.post(
            reverse("comment_edit", args=[video.video_id, comment.comment_id]), {"text": "fixed"}
        )
        block = comment_block(watch(client, video), comment)
        assert re.search(r"</time></a> <span class=\"edited\">\(edited\)</span>", block), block

    def test_the_same_name_gets_the_same_colour_everywhere(self):
        video = make_ready_video()
        first, second = make_user(display_name="Same Name"), make_user(display_name="Same Name")
        one = comment_post(user=first, video_id=video.video_id, text="one")
        two = comment_post(user=second, video_id=video.video_id, text="two")
        page = watch(Client(), video)
        tone = re.compile(r"comment-avatar (avatar-tone-\d)")
        assert tone.search(comment_block(page, one)).group(1) == tone.search(
            comment_block(page, two)
        ).group(1)

    def test_reply_and_edit_are_buttons_with_icons_not_bare_triangles(self):
        video = make_ready_video()
        author = make_user()
        comment = comment_post(user=author, video_id=video.video_id, text="Mine")
        page = watch(sign_in(Client(), author), video)
        comments = page[page.index('id="comments"') :]

        # Every disclosure in the comments is a summary styled as a small button.
        summaries = re.findall(r"<summary[^>]*>", comments)
        assert summaries and all(s == '<summary class="action">' for s in summaries), summaries
        block = page[page.index(f'id="comment-{comment.comment_id}"') :]
        reply = re.search(
            r'<details class="reply-form"><summary class="action">'
            r"<svg[^>]*>.*?</svg>Reply</summary>",
            block,
            re.S,
        )
        edit = re.search(
            r'<details class="comment-edit"><summary class="action">'
            r"<svg[^>]*>.*?</svg>Edit</summary>",
            block,
            re.S,
        )
        assert reply and edit, block[:3000]
        assert re.search(r'<button type="submit" class="danger action">Delete</button>', block)

    def test_the_comment_button_sits_right_under_a_labelled_textarea(self):
        video = make_ready_video()
        page = watch(sign_in(Client(), make_user()), video)
        form = page[
            page.index('class="comment-form"') : page.index(
                "</form>", page.index('class="comment-form"')
            )
        ]
        assert '<label for="comment-text">Add a comment</label>' in form
        assert '<div class="form-actions"><button type="submit">Comment</button></div>' in form


class TestDescription:
    def test_links_are_clickable_and_markup_stays_text(self):
        video = make_ready_video()
        set_description(
            video,
            "Chapters at https://example.com/notes?a=1&b=2.\n<script>alert(1)</script> <b>x</b>",
        )
        page = watch(Client(), video)
        text = page[page.index('<div class="description-text"') :]
        text = text[: text.index("</div>")]
        assert (
            '<a href="https://example.com/notes?a=1&amp;b=2" rel="nofollow ugc noopener" '
            'target="_blank">https://example.com/notes?a=1&amp;b=2</a>.<br>' in text
        )
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;x&lt;/b&gt;" in text
        assert "<script>alert(1)" not in page and "<b>x</b>" not in page

    def test_a_long_description_is_folded_behind_show_more(self):
        video = make_ready_video()
        set_description(video, "line\n" * 10)
        page = watch(Client(), video)
        assert '<div class="description foldable">' in page
        assert '<input type="checkbox" id="description-more" class="description-toggle">' in page
        label = re.search(
            r'<label for="description-more" class="description-more">(.*?)</label>', page
        )
        assert label and "Show more" in label.group(1) and "Show less" in label.group(1)

    def test_a_short_description_has_nothing_to_unfold(self):
        video = make_ready_video()
        set_description(video, "Short and sweet.")
        page = watch(Client(), video)
        assert '<div class="description">' in page and "Show more" not in page


class TestWatchHeader:
    def test_views_and_age_beside_a_like_pill_with_its_icon_and_count(self):
        video = make_ready_video()
        page = watch(sign_in(Client(), make_user()), video)
        assert re.search(
            r'<p class="video-stats"><span class="view-count">0 views</span> · '
            r'<time datetime="[^"]+" title="[^"]+">just now</time></p>',
            page,
        )
        like = page[page.index('<form id="like-button"') :]
        like = like[: like.index("</form>")]
        assert "like-pill" in like
        assert re.search(
            r'class="like-toggle"><svg class="icon"[^>]*>.*?</svg>Like</button>', like, re.S
        )
        assert '<span class="like-count">0</span>' in like

    def test_channel_block_has_an_avatar_name_and_subscribers_under_it(self):
        video = make_ready_video()
        page = watch(Client(), video)
        block = page[page.index('<div class="channel-link">') :]
        block = block[: block.index("</div>")]
        assert re.search(r'<span class="avatar small placeholder avatar-tone-\d">\w</span>', block)
        assert 'class="channel-name"' in block and "0 subscribers</span>" in block

    def test_owner_gets_edit_video_and_others_report_as_small_buttons(self):
        video = make_ready_video()
        owner = user_get(video.owner_user_id)
        as_owner = watch(sign_in(Client(), owner), video)
        as_other = watch(sign_in(Client(), make_user()), video)
        assert re.search(
            r'<a class="action" href="[^"]+/edit/"><svg[^>]*>.*?</svg>Edit video</a>',
            as_owner,
            re.S,
        )
        assert re.search(
            r'<a class="action report-link" href="/report/\?type=video[^"]*">'
            r"<svg[^>]*>.*?</svg>Report</a>",
            as_other,
            re.S,
        )


@pytest.fixture
def three_threads():
    """Oldest with two replies, then one without, then the newest with one reply."""
    video = make_ready_video()
    people = [make_user() for _ in range(3)]
    busy = comment_post(user=people[0], video_id=video.video_id, text="busy")
    time.sleep(0.005)
    comment_post(user=people[1], video_id=video.video_id, text="quiet")
    time.sleep(0.005)
    newest = comment_post(user=people[2], video_id=video.video_id, text="newest")
    for text in ("r1", "r2"):
        comment_post(user=people[1], video_id=video.video_id, text=text, parent_id=busy.comment_id)
    comment_post(user=people[0], video_id=video.video_id, text="r3", parent_id=newest.comment_id)
    return video


class TestSort:
    def test_newest_is_the_default_and_top_is_most_replies_then_newest(self, three_threads):
        video = three_threads
        default = watch(Client(), video)
        assert comment_order(default) == ["newest", "quiet", "busy"]
        assert comment_order(watch(Client(), video, "?sort=newest")) == ["newest", "quiet", "busy"]
        top = watch(Client(), video, "?sort=top")
        assert comment_order(top) == ["busy", "newest", "quiet"]
        assert re.search(r'<a href="[^"]+\?sort=top#comments"[^>]*aria-current="true">Top</a>', top)
        assert re.search(r'aria-current="true">Newest</a>', default)

    @pytest.mark.parametrize("query", ["?sort=bogus", "?sort=", "?sort=TOP", "?sort=top&sort=x"])
    def test_an_unknown_order_falls_back_to_newest(self, three_threads, query):
        page = watch(Client(), three_threads, query)
        assert comment_order(page) == ["newest", "quiet", "busy"]
        assert re.search(r'aria-current="true">Newest</a>', page)

    def test_htmx_switch_replaces_the_list_and_the_switch_out_of_band(self, three_threads):
        video = three_threads
        url = reverse("comments_more", args=[video.video_id])
        html = Client().get(url + "?sort=top", **HTMX).content.decode()
        assert comment_order(html) == ["busy", "newest", "quiet"]
        nav = re.search(r'<nav id="comment-sort"[^>]*hx-swap-oob="true">(.*?)</nav>', html, re.S)
        assert nav and re.search(r'aria-current="true">Top</a>', nav.group(1))
        html = Client().get(url + "?sort=nonsense", **HTMX).content.decode()
        assert comment_order(html) == ["newest", "quiet", "busy"]

    def test_top_pages_on_in_its_order(self, three_threads, monkeypatch):
        monkeypatch.setattr(selectors, "COMMENTS_PAGE", 2)
        video = three_threads
        first = selectors.top_comments_page(video.video_id)
        assert [t.comment.text for t in first.threads] == ["busy", "newest"]
        assert first.next_sort == "top"
        page = watch(Client(), video, "?sort=top")
        more = re.search(r'hx-get="([^"]+&amp;sort=top)"', page).group(1).replace("&amp;", "&")
        html = Client().get(more, **HTMX).content.decode()
        assert comment_order(html) == ["quiet"]
        assert "comments-more" not in html

    def test_a_reply_in_the_top_order_comes_back_to_it(self, three_threads):
        video = three_threads
        client = sign_in(Client(), make_user())
        page = watch(client, video, "?sort=top")
        assert 'name="sort" value="top"' in page
        quiet = next(
            c for c in selectors.comments_page(video.video_id).threads if c.comment.text == "quiet"
        )
        response = client.post(
            reverse("comment_create", args=[video.video_id]),
            {"text": "late reply", "parent_id": quiet.comment.comment_id, "sort": "top"},
        )
        assert response.status_code == 302
        assert response["Location"].startswith(f"/watch/{video.video_id}/?sort=top#comment-")
        html = client.post(
            reverse("comment_create", args=[video.video_id]),
            {"text": "another", "parent_id": quiet.comment.comment_id, "sort": "top"},
            **HTMX,
        ).content.decode()
        # quiet now has two replies like busy, and is newer.
        assert comment_order(html) == ["quiet", "busy", "newest"]

    def test_the_default_order_reads_nothing_more(self, three_threads):
        """The default order never reads the ranked page; a repeated view of either order
        costs the same DynamoDB requests (both remembered)."""
        video = three_threads
        client = Client()
        watch(client, video)
        with count_dynamodb_requests() as default_calls:
            watch(client, video)
        assert recent.comments_top.get(video.video_id) is MISSING
        watch(client, video, "?sort=top")
        with count_dynamodb_requests() as top_calls:
            watch(client, video, "?sort=top")
        assert top_calls == default_calls
