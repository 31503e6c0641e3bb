"""The live page's channel block (Subscribe as on the watch page) and the studio's
session page: waiting for the encoder with the settings, a preview while live."""

import re
from urllib.parse import unquote

import pytest

from conftest import make_user, sign_in
from live_app.tests.test_live import stream_event
from social_app.services import subscription_set
from videoplatform.events import handle_event


def channel_block(page: str) -> str:
    found = re.search(r'<div class="channel-link">.*?</div>', page, re.S)
    assert found, "the live page has no channel block"
    return found.group(0)


class TestLivePageChannel:
    def test_anonymous_viewer_gets_subscribe_link_to_log_in(self, client, creator_channel, session):
        """The channel's avatar initial, name, subscriber count and a Subscribe control
        that, for someone not signed in, leads to the log-in page and back."""
        page = client.get(f"/live/{session.stream_id}/").content.decode()
        block = channel_block(page)
        assert creator_channel.name in block
        assert f'href="/c/{creator_channel.handle}/"' in block
        assert 'class="avatar small placeholder' in block
        assert "0 subscribers" in block
        link = re.search(r'<a role="button" class="subscribe-button" href="([^"]+)"', block)
        assert link, block
        assert link.group(1).startswith("/accounts/login/?next=")
        assert unquote(link.group(1)).endswith(f"next=/live/{session.stream_id}/")

    def test_member_subscribes_from_the_live_page(self, client, creator_channel, session):
        """A signed-in viewer gets the subscribe form; once subscribed, the block says so
        and counts them."""
        viewer = make_user()
        sign_in(client, viewer)
        block = channel_block(client.get(f"/live/{session.stream_id}/").content.decode())
        assert f'action="/c/{creator_channel.handle}/subscribe/"' in block
        assert 'aria-pressed="false"' in block and "csrfmiddlewaretoken" in block
        subscription_set(user=viewer, channel_id=creator_channel.channel_id, subscribed=True)
        block = channel_block(client.get(f"/live/{session.stream_id}/").content.decode())
        assert 'aria-pressed="true"' in block and "Subscribed" in block
        assert "1 subscriber<" in block

    def test_owner_sees_the_count_not_a_button(self, client, creator, session):
        sign_in(client, creator)
        block = channel_block(client.get(f"/live/{session.stream_id}/").content.decode())
        assert "subscriber-count" in block and "subscribe-button" not in block

    def test_channel_block_while_live(self, client, session):
        """The block stays under the player while the stream is live."""
        handle_event(stream_event(session, "Stream Start"))
        page = client.get(f"/live/{session.stream_id}/").content.decode()
        assert 'class="live-player"' in page and "subscribe-button" in channel_block(page)


class TestStudioSession:
    def test_waiting_for_the_encoder_with_settings_and_end(self, client, creator, session):
        sign_in(client, creator)
        page = client.get(f"/studio/live/{session.stream_id}/").content.decode()
        assert "Waiting for your encoder…" in page
        assert session.ingest_url in page and session.stream_key in page
        assert 'class="live-player"' not in page
        assert f'action="/studio/live/{session.stream_id}/end/"' in page
        assert re.search(r'<form class="studio-end"[^>]* data-confirm="[^"]+"', page)
        assert '<button type="submit" class="danger">End stream</button>' in page

    def test_preview_while_live(self, client, creator, session):
        """Live: the live page's player markup (live_player.js starts any .live-player),
        muted, with the stream's playlist; the key is folded away, End stream stays."""
        handle_event(stream_event(session, "Stream Start"))
        sign_in(client, creator)
        page = client.get(f"/studio/live/{session.stream_id}/").content.decode()
        player = re.search(r'<div class="live-player"[^>]*>\s*<video[^>]*>', page)
        assert player, page
        assert f'data-src="/live/{session.stream_id}/hls/index.m3u8"' in player.group(0)
        assert 'data-player="hls"' in player.group(0) and " muted" in player.group(0)
        assert "js/live_player.js" in page and "css/live.css" in page
        assert "Waiting for your encoder" not in page
        assert "<details" in page and "End stream" in page

    def test_state_poll_switches_to_the_preview(self, client, creator, session):
        """The studio page polls its state: nothing (204) while unchanged, the preview
        once live, and the end after."""
        sign_in(client, creator)
        url = f"/studio/live/{session.stream_id}/state/"
        assert client.get(url, {"state": "created"}).status_code == 204
        handle_event(stream_event(session, "Stream Start"))
        live = client.get(url, {"state": "created"})
        assert live.status_code == 200 and 'class="live-player"' in live.content.decode()
        assert live["Cache-Control"] == "no-store"
        assert client.get(url, {"state": "live"}).status_code == 204
        handle_event(stream_event(session, "Stream End"))
        ended = client.get(url, {"state": "live"}).content.decode()
        assert "Stream ended; the replay is being prepared." in ended
        assert "End stream" not in ended and session.stream_key not in ended

    @pytest.mark.parametrize("who", ["stranger", "anonymous"])
    def test_state_poll_is_the_owners_only(self, client, session, who):
        if who == "stranger":
            sign_in(client, make_user())
        response = client.get(f"/studio/live/{session.stream_id}/state/")
        assert response.status_code == (403 if who == "stranger" else 302)
        assert session.stream_key not in response.content.decode()
