"""Channels: create, edit, the channel page, and avatar uploads straight to S3."""

import struct
import threading
import zlib

import pytest
import requests
from django.conf import settings
from django.test import Client, override_settings

from channels_app.accounts import user_set_role
from channels_app.models import Role
from channels_app.selectors import channel_get, channel_get_by_handle, channels_for_owner
from channels_app.services import channel_create
from conftest import make_channel, make_user, sign_in, unique
from videoplatform import storage
from videoplatform.errors import Conflict


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Cheap hashes: these tests are about channels, not PBKDF2's deliberate cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def png_bytes(width: int = 8, height: int = 8, rgb: tuple = (200, 40, 40)) -> bytes:
    """A real, decodable RGB PNG of one colour."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


HANDLE_RULES = "Handles are 3-30 characters: letters a-z, digits, &#x27;-&#x27; or &#x27;_&#x27;"


def new_handle() -> str:
    return unique("ch")


def create_form(**overrides) -> dict:
    data = {"name": "Cat Videos", "handle": new_handle(), "description": "Cats, mostly."}
    data.update(overrides)
    return data


def edit_url(channel) -> str:
    return f"/studio/channels/{channel.channel_id}/edit/"


def image_url(channel, step: str, kind: str = "avatar") -> str:
    return f"/studio/channels/{channel.channel_id}/images/{kind}/{step}/"


def start_upload(client, channel, content_type: str = "image/png"):
    return client.post(image_url(channel, "start"), {"content_type": content_type})


def post_to_storage(post: dict, content: bytes, content_type: str = "image/png"):
    """Send the file to the presigned POST the way a browser form does (file last)."""
    return requests.post(
        post["url"],
        data=post["fields"],
        files={"file": ("upload.png", content, content_type)},
        timeout=10,
    )


def complete_upload(client, channel, key: str):
    return client.post(image_url(channel, "complete"), {"key": key})


def upload_exists(key: str) -> bool:
    """Whether the browser's upload is still in the (never served) upload area."""
    return storage.head_object(bucket=settings.S3_RAW_BUCKET, key=key) is not None


def run_together(count: int, target) -> list:
    """Call ``target(i)`` from ``count`` threads released at once; results or exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = target(index)
        except Exception as error:  # noqa: BLE001 - the test inspects what was raised
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


class TestCreateChannel:
    def test_create_channel_then_its_page_shows_it(self, client, user):
        """A new channel's page shows its name, handle, description and both counts."""
        sign_in(client, user)
        data = create_form(description="All about cats.")

        response = client.post("/studio/channels/new/", data)

        assert response.status_code == 302
        channel = channel_get_by_handle(data["handle"])
        assert channel.owner_user_id == user.user_id
        assert response["Location"] == edit_url(channel)
        page = client.get(f"/c/{data['handle']}/")
        body = page.content.decode()
        assert page.status_code == 200
        assert "<h1>Cat Videos</h1>" in body
        assert f"@{data['handle']}" in body
        assert "All about cats." in body
        assert "0 subscribers" in body
        assert "0 videos" in body

    def test_duplicate_handle_is_refused_and_changes_nothing(self, client, user):
        """A handle already in use (in any case) gets "taken"; the first channel is intact."""
        first = make_channel(name="First", description="the original")
        sign_in(client, user)

        response = client.post(
            "/studio/channels/new/",
            create_form(name="Second", handle=first.handle.upper(), description="imposter"),
        )

        assert response.status_code == 200
        assert f"The handle @{first.handle} is taken." in response.content.decode()
        kept = channel_get_by_handle(first.handle)
        assert kept.channel_id == first.channel_id
        assert (kept.name, kept.description) == ("First", "the original")
        assert channels_for_owner(user.user_id) == []

    def test_racing_creates_of_one_handle_give_it_to_exactly_one(self):
        """Two channels racing for one handle: one is created, the other gets "taken"."""
        handle = new_handle()
        owners = [make_user(), make_user()]

        results = run_together(
            2, lambda i: channel_create(owner=owners[i], name=f"Racer {i}", handle=handle)
        )

        winners = [r for r in results if not isinstance(r, Exception)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1, results
        assert len(losers) == 1 and isinstance(losers[0], Conflict), results
        assert "is taken" in losers[0].message
        assert channel_get_by_handle(handle).channel_id == winners[0].channel_id

    @pytest.mark.parametrize(
        ("handle", "message"),
        [
            ("ab", HANDLE_RULES),
            ("my cats", HANDLE_RULES),
            ("ca\u200bts", HANDLE_RULES),
            ("\u202ecats", HANDLE_RULES),
            ("-cats", HANDLE_RULES),
            ("cats!", HANDLE_RULES),
            ("a" * 31, HANDLE_RULES),
            ("a" * 32, "Ensure this value has at most 31 characters"),
            ("", "This field is required."),
        ],
        ids=[
            "too-short",
            "space",
            "zero-width",
            "rtl-override",
            "leading-dash",
            "punctuation",
            "too-long",
            "far-too-long",
            "empty",
        ],
    )
    def test_invalid_handle_is_refused_with_a_message(self, client, user, handle, message):
        """Handles outside 3-30 of a-z, 0-9, '-', '_' (invisible characters too) are refused."""
        sign_in(client, user)

        response = client.post("/studio/channels/new/", create_form(handle=handle))

        assert response.status_code == 200
        assert message in response.content.decode()
        assert channels_for_owner(user.user_id) == []

    def test_upper_case_handle_is_stored_lower_case(self, client, user):
        """ "CaTs" becomes "cats"; the page answers under either spelling."""
        sign_in(client, user)
        handle = new_handle()

        response = client.post("/studio/channels/new/", create_form(handle=handle.upper()))

        assert response.status_code == 302
        (channel,) = channels_for_owner(user.user_id)
        assert channel.handle == handle
        assert client.get(f"/c/{handle.upper()}/").status_code == 200

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("name", "", "This field is required."),
            ("name", "   ", "This field is required."),
            ("name", "n" * 61, "Ensure this value has at most 60 characters"),
            ("description", "d" * 1001, "Ensure this value has at most 1000 characters"),
            ("name", "Cats\u202e", "Name contains invisible control characters."),
        ],
        ids=["empty-name", "blank-name", "long-name", "long-description", "control-char-name"],
    )
    def test_bad_channel_field_is_refused_with_a_message(self, client, user, field, value, message):
        """Empty, over-long or invisible-character fields get a message; nothing is created."""
        sign_in(client, user)

        response = client.post("/studio/channels/new/", create_form(**{field: value}))

        assert response.status_code == 200
        assert message in response.content.decode()
        assert channels_for_owner(user.user_id) == []

    def test_script_in_name_and_description_is_rendered_escaped(self, client, user):
        """Script tags in a channel's name and description are shown as text, never run."""
        sign_in(client, user)
        data = create_form(
            name="<script>alert('name')</script>",
            description="<script>alert('description')</script>",
        )
        client.post("/studio/channels/new/", data)

        body = client.get(f"/c/{data['handle']}/").content.decode()
        studio = client.get("/studio/").content.decode()

        assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in body
        assert "&lt;script&gt;alert(&#x27;description&#x27;)&lt;/script&gt;" in body
        assert "<script>alert(" not in body
        assert "&lt;script&gt;alert(&#x27;name&#x27;)" in studio
        assert "<script>alert(" not in studio

    def test_create_without_csrf_token_is_forbidden_and_creates_nothing(self, user):
        """A cross-site POST to create a channel gets 403 and no channel."""
        client = Client(enforce_csrf_checks=True)
        client.cookies = sign_in(Client(), user).cookies  # signed in, but no CSRF token sent

        response = client.post("/studio/channels/new/", create_form())

        assert response.status_code == 403
        assert channels_for_owner(user.user_id) == []


class TestEditChannel:
    def test_owner_edits_name_and_description(self, client, user, channel):
        """The owner's edit is saved and shown on the channel page."""
        sign_in(client, user)

        response = client.post(edit_url(channel), {"name": "Renamed", "description": "New words"})

        assert response.status_code == 302
        stored = channel_get(channel.channel_id)
        assert (stored.name, stored.description) == ("Renamed", "New words")
        assert "<h1>Renamed</h1>" in client.get(f"/c/{channel.handle}/").content.decode()

    def test_editing_someone_elses_channel_is_forbidden_and_changes_nothing(
        self, client, channel, other_user
    ):
        """Another user gets 403 for the edit page, the edit and an upload start."""
        sign_in(client, other_user)

        page = client.get(edit_url(channel))
        edit = client.post(edit_url(channel), {"name": "Hijacked", "description": "pwned"})
        upload = start_upload(client, channel)

        assert page.status_code == 403
        assert edit.status_code == 403
        assert upload.status_code == 403
        stored = channel_get(channel.channel_id)
        assert (stored.name, stored.description) == (channel.name, channel.description)

    def test_anonymous_edit_redirects_to_log_in(self, client, channel):
        """Without a session the edit page sends you to log in, and changes nothing."""
        page = client.get(edit_url(channel))
        edit = client.post(edit_url(channel), {"name": "Hijacked", "description": ""})

        for response in (page, edit):
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/?next=")
        assert channel_get(channel.channel_id).name == channel.name

    def test_staff_may_edit_any_channel(self, client, channel):
        """A moderator may edit a channel that is not theirs."""
        moderator = make_user()
        user_set_role(user=moderator, role=Role.MODERATOR, granted=True)
        sign_in(client, moderator)

        response = client.post(edit_url(channel), {"name": "Moderated", "description": "tidy"})

        assert response.status_code == 302
        assert channel_get(channel.channel_id).name == "Moderated"


class TestStudio:
    def test_studio_lists_only_the_users_channels(self, client, user):
        """The studio shows the user's channels and none of anyone else's."""
        mine = [make_channel(owner=user, name=f"Mine {i}") for i in range(2)]
        theirs = make_channel(name="Not Mine")
        sign_in(client, user)

        body = client.get("/studio/").content.decode()

        for channel in mine:
            assert f"@{channel.handle}" in body
        assert f"@{theirs.handle}" not in body
        assert "Not Mine" not in body


class TestAvatarUpload:
    def test_avatar_upload_straight_to_s3_shows_on_the_channel_page(self, client, user, channel):
        """Start, POST to S3, complete: the page's avatar <img> is a signed URL serving the
        PNG from a new key of the app's choosing, typed image/png."""
        sign_in(client, user)
        image = png_bytes()

        start = start_upload(client, channel)
        assert start.status_code == 200
        post = start.json()
        assert post["key"].startswith(f"images/{channel.channel_id}/avatar/")
        stored = post_to_storage(post, image)
        assert stored.status_code in (200, 201, 204), stored.text
        complete = complete_upload(client, channel, post["key"])

        assert complete.status_code == 200, complete.content
        avatar_key = channel_get(channel.channel_id).avatar_key
        assert avatar_key.startswith(f"channels/{channel.channel_id}/avatar/")
        assert avatar_key.endswith(".png") and not upload_exists(post["key"])
        page = client.get(f"/c/{channel.handle}/").content.decode()
        avatar_src = page.split('<img class="avatar" src="', 1)[1].split('"', 1)[0]
        avatar_src = avatar_src.replace("&amp;", "&")
        assert "X-Amz-Signature=" in avatar_src
        fetched = requests.get(avatar_src, timeout=10)
        assert fetched.status_code == 200
        assert fetched.content == image
        assert fetched.headers["Content-Type"] == "image/png"
        assert requests.get(avatar_src.split("?")[0], timeout=10).status_code in (401, 403)

    def test_non_image_is_rejected_deleted_and_avatar_unchanged(self, client, user, channel):
        """A file claiming image/png that is not an image is refused and removed."""
        sign_in(client, user)
        post = start_upload(client, channel).json()
        assert post_to_storage(post, b"<html>not a picture</html>").ok

        complete = complete_upload(client, channel, post["key"])

        assert complete.status_code == 400
        assert complete.json()["error"] == "That file is not a JPEG, PNG, WebP or GIF image."
        assert not upload_exists(post["key"])
        assert channel_get(channel.channel_id).avatar_key is None

    def test_oversize_image_is_refused_by_s3_itself(self, client, user, channel):
        """The policy's size limit is enforced by S3; completing says nothing arrived."""
        sign_in(client, user)
        with override_settings(AVATAR_MAX_BYTES=1024):
            post = start_upload(client, channel).json()
        assert post["max_bytes"] == 1024

        stored = post_to_storage(post, png_bytes() + b"\0" * 4096)
        complete = complete_upload(client, channel, post["key"])

        assert 400 <= stored.status_code < 500, stored.text
        assert complete.status_code == 400
        assert complete.json()["error"] == "The upload did not arrive. Please try again."
        assert not upload_exists(post["key"])
        assert channel_get(channel.channel_id).avatar_key is None

    def test_key_of_another_channel_is_rejected(self, client, user, channel, other_user):
        """An image uploaded for someone else's channel cannot be attached to yours."""
        other = make_channel(owner=other_user)
        other_client = sign_in(Client(), other_user)
        foreign = start_upload(other_client, other).json()
        assert post_to_storage(foreign, png_bytes()).ok
        sign_in(client, user)

        complete = complete_upload(client, channel, foreign["key"])
        traversal = complete_upload(
            client, channel, f"images/{channel.channel_id}/avatar/../../{other.channel_id}/x"
        )

        assert complete.status_code == 400
        assert complete.json()["error"] == "That upload does not belong to this channel."
        assert traversal.status_code == 400
        assert channel_get(channel.channel_id).avatar_key is None
        assert upload_exists(foreign["key"])  # the owner's upload is left alone

    def test_image_upload_starts_are_rate_limited(self, client, user, channel, settings):
        """Past IMAGE_UPLOADS_PER_HOUR starts in an hour the next one is refused with a
        message (429) and signs nothing."""
        settings.IMAGE_UPLOADS_PER_HOUR = 3
        sign_in(client, user)
        for _ in range(3):
            assert start_upload(client, channel).status_code == 200
        refused = start_upload(client, channel)
        assert refused.status_code == 429
        assert "many image uploads" in refused.json()["error"]
        assert "url" not in refused.json()

    def test_start_with_a_non_image_type_is_rejected(self, client, user, channel):
        """Only image types get a presigned POST: text/html is refused with a message."""
        sign_in(client, user)

        response = start_upload(client, channel, content_type="text/html")

        assert response.status_code == 400
        assert response.json()["error"] == "Choose a JPEG, PNG, WebP or GIF image."
        assert "url" not in response.json()
