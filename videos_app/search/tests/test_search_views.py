"""/search/ and the header box's suggestions: what a viewer sees, every result checked
again against DynamoDB, bad input answered clearly."""

import pytest
from django.test import Client

from channels_app.accounts import user_set_role
from channels_app.models import Role
from conftest import make_channel, make_user
from social_app import moderation
from social_app.tests.factories import make_ready_video
from videos_app.models import Video, VideoStatus
from videos_app.publishing import video_update
from videos_app.search import loader
from videos_app.search.base import SearchUnavailable
from videos_app.search.results import PAGE_SIZE


def page(params: dict, **headers) -> tuple[int, str]:
    response = Client().get("/search/", params, **headers)
    return response.status_code, response.content.decode()


def suggest(text: str) -> str:
    response = Client().get("/search/suggest/", {"q": text})
    assert response.status_code == 200
    return response.content.decode()


def test_results_show_the_video_with_matched_words_marked(published, tag):
    _, channel, video = published
    status, html = page({"q": f"bikse sunny {tag}"})
    assert status == 200
    assert f'href="/watch/{video.video_id}/"' in html
    assert "<mark>Bikes</mark> on a <mark>sunny</mark> day" in html
    assert f'href="/c/{channel.handle}/"' in html
    assert "1 result" in html


def test_channels_are_found_by_name_and_the_kind_filter_keeps_only_them(published, tag):
    _, channel, video = published
    _, html = page({"q": f"riverside {tag}", "kind": "channel"})
    assert 'class="search-result kind-channel"' in html
    assert f"/watch/{video.video_id}/" not in html
    assert f"@{channel.handle}" in html


def test_an_empty_query_explains_what_to_type():
    status, html = page({"q": "   "})
    assert status == 200
    assert "Type what you remember of a video" in html
    assert "search-result" not in html


def test_no_results_says_so_and_offers_to_drop_filters(tag):
    _, html = page({"q": f"nothing-like-this {tag}", "duration": "long"})
    assert "No results for" in html
    assert "search without filters" in html


def test_an_unknown_filter_value_is_ignored_with_a_message(published, tag):
    _, _, video = published
    _, html = page({"q": f"sunny {tag}", "sort": "loudest", "kind": "<b>x</b>"})
    assert "Unknown filter value “loudest” was ignored." in html
    assert "Unknown filter value “&lt;b&gt;x&lt;/b&gt;” was ignored." in html
    assert f"/watch/{video.video_id}/" in html


@pytest.mark.parametrize("cursor", ["abc", "-5", "999999999", "20;drop"])
def test_a_bad_cursor_starts_at_the_first_page_with_a_message(published, tag, cursor):
    _, _, video = published
    _, html = page({"q": f"sunny {tag}", "after": cursor})
    assert "That page of results is not available; here is the first page." in html
    assert f"/watch/{video.video_id}/" in html


def test_paging_with_the_cursor_and_htmx_appends_the_next_page(index_now, tag):
    owner = make_user()
    channel = make_channel(owner=owner)
    for n in range(PAGE_SIZE + 2):
        make_ready_video(owner=owner, channel=channel, title=f"Guitar lesson {n} {tag}")
    index_now()
    _, first = page({"q": f"guitar {tag}", "kind": "video"})
    assert first.count('class="search-result kind-video"') == PAGE_SIZE
    assert "after=20" in first and "More results" in first
    status, more = page(
        {"q": f"guitar {tag}", "kind": "video", "after": "20", "more": "1"}, HTTP_HX_REQUEST="true"
    )
    assert status == 200
    assert more.count('class="search-result kind-video"') == 2
    assert "<html" not in more and "More results" not in more


def test_suggestions_offer_titles_starting_like_the_words(published, tag):
    _, _, video = published
    html = suggest(f"{tag} bik")
    assert f'href="/watch/{video.video_id}/"' in html
    assert "<mark>Bikes</mark>" in html
    assert suggest("  ").strip() == ""


def test_titles_are_escaped(index_now, tag):
    make_ready_video(title=f"<script>alert(1)</script> {tag}")
    index_now()
    _, html = page({"q": f"script {tag}"})
    assert "<script>alert(1)</script>" not in html
    assert "&lt;<mark>script</mark>&gt;alert(1)" in html


def _hidden_before_indexing(owner, video, how):
    if how == "private":
        video_update(
            actor=owner, video=video, title=video.title, description="", visibility="private"
        )
    elif how == "unlisted":
        video_update(
            actor=owner, video=video, title=video.title, description="", visibility="unlisted"
        )
    elif how == "removed":
        staff = user_set_role(user=make_user(), role=Role.MODERATOR, granted=True)
        moderation.video_remove(moderator=staff, video_id=video.video_id, reason="spam")
    elif how == "banned":
        staff = user_set_role(user=make_user(), role=Role.MODERATOR, granted=True)
        moderation.user_ban(moderator=staff, user_id=owner.user_id, reason="abuse")
    elif how == "processing":
        video.update(actions=[Video.status.set(str(VideoStatus.PROCESSING))])
    elif how == "failed":
        video.update(actions=[Video.status.set(str(VideoStatus.FAILED))])
    elif how == "deleted":
        video.delete()


@pytest.mark.parametrize(
    "how", ["private", "unlisted", "removed", "banned", "processing", "failed", "deleted"]
)
def test_nothing_hidden_shows_even_before_the_index_hears_of_it(published, tag, how):
    owner, _, video = published
    assert f"/watch/{video.video_id}/" in page({"q": f"sunny {tag}"})[1]
    _hidden_before_indexing(owner, video, how)  # the index still has it: nobody drained
    _, html = page({"q": f"sunny {tag}"})
    assert f"/watch/{video.video_id}/" not in html
    assert f"/watch/{video.video_id}/" not in suggest(f"{tag} sunn")


class DownEngine:
    def search(self, request):
        raise SearchUnavailable("connection refused")

    def suggest(self, query, *, limit):
        raise SearchUnavailable("connection refused")


def test_an_unavailable_engine_gets_a_clear_page_and_no_suggestions(monkeypatch, tag):
    monkeypatch.setattr(loader, "get_search_backend", lambda: DownEngine())
    monkeypatch.setattr("videos_app.search.results.get_search_backend", lambda: DownEngine())
    status, html = page({"q": f"anything {tag}"})
    assert status == 503
    assert "Search is unavailable right now." in html
    assert suggest(f"anything {tag}").strip() == ""


def test_the_header_box_is_on_every_page_and_keeps_the_query_on_results():
    home = Client().get("/").content.decode()
    assert 'role="search"' in home and 'action="/search/"' in home
    assert 'name="q"' in home
    _, html = page({"q": "bikes &amp; more"})
    assert 'value="bikes &amp;amp; more"' in html
