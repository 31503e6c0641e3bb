"""The media origin never serves script: exact image types end to end, a checked copy at
a key the browser cannot write, explicit types on every media URL, orphan expiry, and
``__Host-`` cookies in production."""

import base64
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from botocore.session import get_session
from botocore.validate import ParamValidator
from django.conf import settings
from django.test import Client

from channels_app.selectors import channel_get
from channels_app.tests.test_channels import (
    complete_upload,
    png_bytes,
    post_to_storage,
    run_together,
    start_upload,
)
from conftest import sign_in
from videoplatform import media_headers, storage
from videoplatform.aws import s3_client
from videoplatform.tests.test_settings import PRODUCTION_ENV, run_manage

GIF_WITH_SCRIPT = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;<script>alert(document.cookie)</script>"
SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
NOT_AN_IMAGE = "That file is not a JPEG, PNG, WebP or GIF image."


def policy_conditions(post: dict) -> list:
    """The conditions of a presigned POST's policy, as storage will enforce them."""
    return json.loads(base64.b64decode(post["fields"]["policy"]))["conditions"]


def with_content_type(post: dict, content_type: str) -> dict:
    """The same signed form with its Content-Type field changed, as an attacker would."""
    return {**post, "fields": {**post["fields"], "Content-Type": content_type}}


def raw_object(key: str):
    return storage.head_object(bucket=settings.S3_RAW_BUCKET, key=key)


def media_keys(prefix: str) -> list[str]:
    listed = s3_client().list_objects_v2(Bucket=settings.S3_MEDIA_BUCKET, Prefix=prefix)
    return [obj["Key"] for obj in listed.get("Contents", [])]


def uploaded_avatar(client, channel, image: bytes) -> tuple[dict, str]:
    """Start, POST and complete a PNG avatar; the form and the key the channel shows."""
    post = start_upload(client, channel).json()
    assert post_to_storage(post, image).ok
    complete = complete_upload(client, channel, post["key"])
    assert complete.status_code == 200, complete.content
    return post, channel_get(channel.channel_id).avatar_key


def fetch_media(key: str) -> requests.Response:
    return requests.get(storage.media_url(key), timeout=10)


class TestUploadPolicy:
    def test_policy_requires_exactly_the_declared_type(self, client, user, channel):
        """The signed policy says `eq` the declared type, and storage refuses the same
        form with `image/gif,text/html` or any other Content-Type."""
        sign_in(client, user)
        post = start_upload(client, channel, content_type="image/gif").json()

        conditions = policy_conditions(post)

        assert ["eq", "$Content-Type", "image/gif"] in conditions
        assert not any(c[0] == "starts-with" for c in conditions if isinstance(c, list))
        for forged in ("image/gif,text/html", "image/svg+xml", "text/html", "image/png"):
            refused = post_to_storage(with_content_type(post, forged), GIF_WITH_SCRIPT)
            assert refused.status_code == 403, (forged, refused.text)
        assert raw_object(post["key"]) is None

    def test_upload_goes_to_the_private_raw_bucket(self, client, user, channel):
        """The browser writes under images/ in the raw bucket, never the served media bucket."""
        sign_in(client, user)
        post = start_upload(client, channel).json()

        assert re.fullmatch(rf"images/{channel.channel_id}/avatar/[A-Za-z0-9]+", post["key"])
        assert urlsplit(post["url"]).path.strip("/") == settings.S3_RAW_BUCKET
        assert post_to_storage(post, png_bytes()).ok
        assert raw_object(post["key"]).content_type == "image/png"

    @pytest.mark.parametrize(
        "content_type", ["image/svg+xml", "image/gif,text/html", "text/html", "image/jpg", ""]
    )
    def test_start_refuses_types_outside_the_set(self, client, user, channel, content_type):
        """Only image/jpeg, png, webp and gif get a form; SVG never does."""
        sign_in(client, user)

        response = start_upload(client, channel, content_type=content_type)

        assert response.status_code == 400
        assert response.json()["error"] == "Choose a JPEG, PNG, WebP or GIF image."
        assert "url" not in response.json()

    def test_svg_is_never_accepted(self, client, user, channel):
        """An SVG cannot ride a PNG form: storage refuses its type, and sent as image/png
        it is refused at complete, deleted, and the channel keeps no image."""
        sign_in(client, user)
        post = start_upload(client, channel).json()

        as_svg = post_to_storage(with_content_type(post, "image/svg+xml"), SVG_WITH_SCRIPT)
        assert as_svg.status_code == 403, as_svg.text
        assert post_to_storage(post, SVG_WITH_SCRIPT, content_type="image/svg+xml").ok
        complete = complete_upload(client, channel, post["key"])

        assert complete.status_code == 400
        assert complete.json()["error"] == NOT_AN_IMAGE
        assert raw_object(post["key"]) is None
        assert media_keys(f"channels/{channel.channel_id}/") == []
        assert channel_get(channel.channel_id).avatar_key is None

    def test_gif_bytes_declared_as_png_are_refused(self, client, user, channel):
        """The sniffed type must equal the declared one: GIF bytes sent as image/png are
        refused and nothing is left in either bucket."""
        sign_in(client, user)
        post = start_upload(client, channel).json()
        assert post_to_storage(post, GIF_WITH_SCRIPT).ok

        complete = complete_upload(client, channel, post["key"])

        assert complete.status_code == 400
        assert complete.json()["error"] == (
            "The file's contents do not match its type. Please try again."
        )
        assert raw_object(post["key"]) is None
        assert media_keys(f"channels/{channel.channel_id}/") == []
        assert channel_get(channel.channel_id).avatar_key is None

    def test_stored_type_outside_the_set_is_refused(self, client, user, channel):
        """Should storage ever let a form through with another type (it is stored as the
        object's Content-Type), complete checks it again: `image/gif,text/html` is refused."""
        sign_in(client, user)
        post = start_upload(client, channel, content_type="image/gif").json()
        s3_client().put_object(
            Bucket=settings.S3_RAW_BUCKET,
            Key=post["key"],
            Body=GIF_WITH_SCRIPT,
            ContentType="image/gif,text/html",
        )

        complete = complete_upload(client, channel, post["key"])

        assert complete.status_code == 400
        assert complete.json()["error"] == NOT_AN_IMAGE
        assert raw_object(post["key"]) is None
        assert channel_get(channel.channel_id).avatar_key is None


class TestCheckedCopy:
    def test_complete_serves_a_new_server_chosen_key(self, client, user, channel):
        """The channel points at channels/<id>/avatar/<new id>.png, typed image/png by the
        app, holding the uploaded bytes; the upload itself is gone."""
        sign_in(client, user)
        image = png_bytes()

        post, served = uploaded_avatar(client, channel, image)

        assert re.fullmatch(rf"channels/{channel.channel_id}/avatar/[A-Za-z0-9]+\.png", served)
        assert served != post["key"]
        assert raw_object(post["key"]) is None
        stored = storage.head_object(bucket=settings.S3_MEDIA_BUCKET, key=served)
        assert stored.content_type == "image/png"
        assert fetch_media(served).content == image

    def test_the_same_form_cannot_change_the_image_after_complete(self, client, user, channel):
        """Re-POSTing with the form (storage still takes it until it expires) and
        completing again is refused; the channel shows the first image."""
        sign_in(client, user)
        first = png_bytes(rgb=(10, 200, 10))
        post, served = uploaded_avatar(client, channel, first)

        assert post_to_storage(post, b"\x89PNG\r\n\x1a\n<script>alert(1)</script>").ok
        again = complete_upload(client, channel, post["key"])

        assert again.status_code == 400
        assert again.json()["error"] == "This upload was already used. Choose the image again."
        assert channel_get(channel.channel_id).avatar_key == served
        assert fetch_media(served).content == first
        assert media_keys(f"channels/{channel.channel_id}/avatar/") == [served]

    def test_two_completes_at_once_attach_one_copy(self, user, channel):
        """The upload is claimed once: of two simultaneous completes one attaches the
        image, the other is refused, and one served object is left."""
        clients = [sign_in(Client(), user) for _ in range(2)]
        post = start_upload(clients[0], channel).json()
        assert post_to_storage(post, png_bytes()).ok

        results = run_together(2, lambda i: complete_upload(clients[i], channel, post["key"]))

        assert sorted(r.status_code for r in results) == [200, 400]
        served = channel_get(channel.channel_id).avatar_key
        assert media_keys(f"channels/{channel.channel_id}/avatar/") == [served]
        assert raw_object(post["key"]) is None

    def test_a_new_image_replaces_and_deletes_the_old_one(self, client, user, channel):
        """A second, separate upload gets its own key; the previous object is deleted."""
        sign_in(client, user)
        _, first = uploaded_avatar(client, channel, png_bytes(rgb=(1, 2, 3)))

        _, second = uploaded_avatar(client, channel, png_bytes(rgb=(4, 5, 6)))

        assert second != first
        assert media_keys(f"channels/{channel.channel_id}/avatar/") == [second]


class TestMediaResponses:
    def test_media_url_names_type_and_disposition(self, client, user, channel):
        """A presigned media URL carries response-content-type and -disposition, and S3
        answers with them."""
        sign_in(client, user)
        _, served = uploaded_avatar(client, channel, png_bytes())

        url = storage.media_url(served)
        fetched = requests.get(url, timeout=10)

        query = parse_qs(urlsplit(url).query)
        assert query["response-content-type"] == ["image/png"]
        assert query["response-content-disposition"] == ["inline"]
        assert fetched.headers["Content-Type"] == "image/png"
        assert fetched.headers["Content-Disposition"] == "inline"

    def test_unknown_keys_download_as_octet_stream(self):
        """An object whose key names no media type is never rendered: whatever type it
        was stored with, it comes as an application/octet-stream attachment."""
        key = "hls/probe/notes.html"
        s3_client().put_object(
            Bucket=settings.S3_MEDIA_BUCKET,
            Key=key,
            Body=b"<script>1</script>",
            ContentType="text/html",
        )

        fetched = fetch_media(key)

        assert fetched.headers["Content-Type"] == "application/octet-stream"
        assert fetched.headers["Content-Disposition"] == "attachment"

    def test_extensionless_legacy_avatar_is_served_as_an_image(self, channel):
        """Avatars stored before keys had an extension keep showing, as an image type,
        whatever type the browser gave them then."""
        key = f"channels/{channel.channel_id}/avatar/legacy0001"
        s3_client().put_object(
            Bucket=settings.S3_MEDIA_BUCKET,
            Key=key,
            Body=png_bytes(),
            ContentType="image/gif,text/html",
        )

        fetched = fetch_media(key)

        assert fetched.status_code == 200
        assert fetched.headers["Content-Type"] == "image/png"
        assert fetched.headers["Content-Disposition"] == "inline"

    @pytest.mark.parametrize(
        ("key", "content_type"),
        [
            ("hls/v/master.m3u8", "application/vnd.apple.mpegurl"),
            ("hls/v/360p/seg_00001.ts", "video/mp2t"),
            ("hls/v/1080p/seg_00001.m4s", "video/iso.segment"),
            ("hls/v/1080p/init.mp4", "video/mp4"),
            ("hls/v/poster.jpg", "image/jpeg"),
            ("x/a.JPEG", "image/jpeg"),
            ("x/a.webp", "image/webp"),
            ("x/a.gif", "image/gif"),
            ("x/subs.vtt", "text/vtt"),
            ("x/a.aac", "audio/aac"),
        ],
    )
    def test_known_extensions_are_served_inline_with_their_type(self, key, content_type):
        """Each media extension the platform writes maps to one explicit type, inline."""
        assert media_headers.served_as(key) == media_headers.ServedAs(content_type, "inline")

    @pytest.mark.parametrize("key", ["x/a.svg", "x/a.html", "x/a", "channels/c/other/abc"])
    def test_other_keys_are_attachments(self, key):
        """SVG, HTML and anything unnamed is an octet-stream attachment."""
        assert media_headers.served_as(key) == media_headers.ServedAs(
            "application/octet-stream", "attachment"
        )

    def test_transcode_outputs_are_written_with_the_type_they_are_served_as(self):
        """The worker stores each output with the type media URLs name for it, so the
        CloudFront path (stored type + nosniff) and the S3 path agree."""
        from videos_app.worker import CONTENT_TYPES

        for extension, content_type in CONTENT_TYPES.items():
            assert media_headers.MEDIA_CONTENT_TYPES[extension] == content_type

    def test_cloudfront_urls_carry_no_s3_response_parameters(self, settings):
        """Through CloudFront the stored type is served (the headers policy adds nosniff);
        S3's response-* parameters would only split the CDN's cache."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        pem = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
            .decode()
        )
        settings.CLOUDFRONT_DOMAIN = "media.example.com"
        settings.CLOUDFRONT_KEY_ID = "K2JCJMDEHXQW5F"
        settings.CLOUDFRONT_PRIVATE_KEY = pem
        storage.media_storage.cache_clear()
        try:
            url = storage.media_url("channels/c/avatar/a.png")
        finally:
            storage.media_storage.cache_clear()
        assert url.startswith("https://media.example.com/channels/c/avatar/a.png?")
        assert "Response" not in url and "response-" not in url

    def test_cloudfront_headers_policy_sends_nosniff(self):
        """The response headers policy the deploy attaches is valid for CloudFront's API
        and turns on X-Content-Type-Options: nosniff."""
        model = get_session().get_service_model("cloudfront")
        shape = model.operation_model("CreateResponseHeadersPolicy").input_shape
        report = ParamValidator().validate(
            {"ResponseHeadersPolicyConfig": media_headers.RESPONSE_HEADERS_POLICY}, shape
        )

        assert not report.has_errors(), report.generate_report()
        security = media_headers.RESPONSE_HEADERS_POLICY["SecurityHeadersConfig"]
        assert security["ContentTypeOptions"] == {"Override": True}


class TestOrphanExpiry:
    def test_uncompleted_image_uploads_expire(self):
        """The raw bucket's rules expire images/ within a day; the definition is valid for
        S3's API and is what storage holds."""
        rules = storage.bucket_lifecycle_rules()[settings.S3_RAW_BUCKET]
        images = [r for r in rules if r["Filter"].get("Prefix") == storage.IMAGE_UPLOAD_PREFIX]
        shape = (
            get_session()
            .get_service_model("s3")
            .operation_model("PutBucketLifecycleConfiguration")
            .input_shape
        )
        report = ParamValidator().validate(
            {"Bucket": "b", "LifecycleConfiguration": {"Rules": rules}}, shape
        )
        stored = s3_client().get_bucket_lifecycle_configuration(Bucket=settings.S3_RAW_BUCKET)

        assert not report.has_errors(), report.generate_report()
        assert storage.IMAGE_UPLOAD_PREFIX == "images/"
        assert len(images) == 1 and images[0]["Status"] == "Enabled"
        assert images[0]["Expiration"] == {"Days": 1}
        assert {"Days": 1} in [r.get("Expiration") for r in stored["Rules"]]


class TestProductionCookies:
    def test_session_and_csrf_cookies_are_host_prefixed(self):
        """In production both cookies are `__Host-`: Secure, Path=/ and no Domain."""
        names = [
            f"{cookie}_COOKIE_{part}"
            for cookie in ("SESSION", "CSRF")
            for part in ("NAME", "SECURE", "DOMAIN", "PATH")
        ]
        script = (
            "import json; from django.conf import settings as s; "
            f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))"
        )

        result = run_manage("shell", "-c", script, env=PRODUCTION_ENV)

        assert result.returncode == 0, result.stderr
        values = json.loads(result.stdout.strip().splitlines()[-1])
        assert values == {
            "SESSION_COOKIE_NAME": "__Host-sessionid",
            "CSRF_COOKIE_NAME": "__Host-csrftoken",
            "SESSION_COOKIE_SECURE": True,
            "CSRF_COOKIE_SECURE": True,
            "SESSION_COOKIE_DOMAIN": None,
            "CSRF_COOKIE_DOMAIN": None,
            "SESSION_COOKIE_PATH": "/",
            "CSRF_COOKIE_PATH": "/",
        }

    def test_no_script_reads_the_csrf_cookie_by_name(self):
        """Scripts take the CSRF token from the page, not a cookie, so the name may change."""
        scripts = (Path(settings.BASE_DIR) / "static" / "js").glob("*.js")
        readers = [p.name for p in scripts if "document.cookie" in p.read_text()]

        assert readers == []
