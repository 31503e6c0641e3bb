"""Object storage: buckets, presigned POSTs for browser uploads, signed media URLs.

The media bucket is never public and nothing a browser sends is written to it directly:
uploads land in the raw bucket and the app copies what it checked. Locally a media URL
is a presigned S3 GET that names the type and disposition to answer with
(``videoplatform.media_headers``); with a CDN configured (``CLOUDFRONT_DOMAIN``) a
CloudFront signed URL. Either is signed once per window and process (``media_url``).
"""

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from botocore.exceptions import ClientError
from django.conf import settings
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage

from videoplatform.aws import s3_client, s3_presign_client
from videoplatform.media_headers import s3_response_parameters


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict
    key: str
    max_bytes: int


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    content_type: str
    modified_at: float | None = None  # Unix seconds
    etag: str = ""


def presigned_post(
    *, bucket: str, key: str, content_type: str, max_bytes: int, type_prefix: str | None = None
) -> PresignedPost:
    """A POST policy for exactly ``key``: size range, short expiry, and the content type
    exactly ``content_type`` (or, given ``type_prefix``, any type starting with it)."""
    type_condition = (
        ["starts-with", "$Content-Type", type_prefix]
        if type_prefix is not None
        else ["eq", "$Content-Type", content_type]
    )
    post = s3_presign_client().generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[["content-length-range", 1, max_bytes], type_condition],
        ExpiresIn=settings.UPLOAD_URL_EXPIRY_S,
    )
    return PresignedPost(url=post["url"], fields=post["fields"], key=key, max_bytes=max_bytes)


@dataclass(frozen=True)
class StoredPart:
    number: int
    size: int
    etag: str


def multipart_start(*, bucket: str, key: str, content_type: str) -> str:
    """Begin a multipart upload of ``key``; returns its upload id."""
    started = s3_client().create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type)
    return started["UploadId"]


def multipart_part_url(*, bucket: str, key: str, upload_id: str, number: int, size: int) -> str:
    """A presigned PUT for one part. Its Content-Length is signed, so storage refuses a
    part of any other size."""
    return s3_presign_client().generate_presigned_url(
        "upload_part",
        Params={
            "Bucket": bucket,
            "Key": key,
            "UploadId": upload_id,
            "PartNumber": number,
            "ContentLength": size,
        },
        ExpiresIn=settings.UPLOAD_URL_EXPIRY_S,
    )


def multipart_parts(*, bucket: str, key: str, upload_id: str) -> list[StoredPart] | None:
    """The parts storage holds for the upload, by number; None when the upload is gone."""
    parts: list[StoredPart] = []
    try:
        for page in (
            s3_client()
            .get_paginator("list_parts")
            .paginate(Bucket=bucket, Key=key, UploadId=upload_id)
        ):
            parts += [
                StoredPart(number=int(p["PartNumber"]), size=int(p["Size"]), etag=p["ETag"])
                for p in page.get("Parts", [])
            ]
    except ClientError as error:
        if _error_code(error) in _UPLOAD_GONE:
            return None
        raise
    return sorted(parts, key=lambda part: part.number)


def multipart_complete(*, bucket: str, key: str, upload_id: str, parts: list[StoredPart]) -> None:
    s3_client().complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": p.number, "ETag": p.etag} for p in parts]},
    )


def multipart_abort(*, bucket: str, key: str, upload_id: str) -> None:
    """Drop the upload and every part stored for it; an upload already gone is fine."""
    try:
        s3_client().abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    except ClientError as error:
        if _error_code(error) not in _UPLOAD_GONE:
            raise


_UPLOAD_GONE = frozenset({"NoSuchUpload", "404", "NotFound"})


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def head_object(*, bucket: str, key: str) -> StoredObject | None:
    try:
        head = s3_client().head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if _error_code(error) in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise
    modified = head.get("LastModified")
    return StoredObject(
        key=key,
        size=int(head["ContentLength"]),
        content_type=head.get("ContentType", ""),
        modified_at=modified.timestamp() if modified else None,
        etag=head.get("ETag", ""),
    )


def newest_object(
    *, bucket: str, prefix: str, modified_since: float, key_suffix: str = ""
) -> StoredObject | None:
    """The most recently written object under ``prefix`` whose key ends with
    ``key_suffix`` and that was written at or after ``modified_since`` (Unix seconds);
    no content type, which listing omits."""
    newest = None
    for page in s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            modified = obj["LastModified"].timestamp()
            if not obj["Key"].endswith(key_suffix) or modified < modified_since:
                continue
            if newest is None or modified > newest.modified_at:
                newest = StoredObject(
                    key=obj["Key"], size=int(obj["Size"]), content_type="", modified_at=modified
                )
    return newest


def read_head_bytes(*, bucket: str, key: str, length: int = 64) -> bytes:
    response = s3_client().get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{length - 1}")
    return response["Body"].read()


class SourceChanged(Exception):
    """The copy's source is gone or no longer the version that was checked."""


def copy_object(
    *,
    source_bucket: str,
    source_key: str,
    bucket: str,
    key: str,
    content_type: str,
    content_disposition: str = "inline",
    if_match: str | None = None,
) -> None:
    """A server-side copy whose stored type and disposition are ours, not the source's.
    With ``if_match`` (an ETag) only that version of the source is copied."""
    extra = {"CopySourceIfMatch": if_match} if if_match else {}
    try:
        s3_client().copy_object(
            Bucket=bucket,
            Key=key,
            CopySource={"Bucket": source_bucket, "Key": source_key},
            MetadataDirective="REPLACE",
            ContentType=content_type,
            ContentDisposition=content_disposition,
            **extra,
        )
    except ClientError as error:
        if _error_code(error) in {"PreconditionFailed", "412", "NoSuchKey", "404"}:
            raise SourceChanged(source_key) from None
        raise


def delete_object(*, bucket: str, key: str) -> None:
    s3_client().delete_object(Bucket=bucket, Key=key)


def delete_prefix(*, bucket: str, prefix: str) -> int:
    client = s3_client()
    deleted = 0
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            deleted += len(keys)
    return deleted


# SigV4 presigned URLs are valid for at most a week.
MAX_PRESIGNED_S = 7 * 24 * 3600
SIGNED_URLS_KEPT = 4096


def signing_time() -> float:
    """Now in Unix seconds, as media URLs are signed (S3 presigning also reads botocore's
    clock; tests move both)."""
    return time.time()


def media_url_window_s() -> int:
    """Media URLs are signed once per window and stay valid to the end of the next one,
    so a URL handed out is good for at least one more window (at most MEDIA_URL_EXPIRY_S
    in all), and each page of a window names the same URL, which the browser caches."""
    return max(1, settings.MEDIA_URL_EXPIRY_S // 2)


class SignedUrls:
    """The most recently used signed URLs (and cookies) of this process, by what was
    signed and the window; bounded, thread-safe. Losing one costs only a signing."""

    def __init__(self, size: int):
        self._size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class MediaStorage(S3Storage):
    """The media bucket's signing setup: django-storages' CloudFront signer, and what
    this process signed lately (reset with the storage, as when the settings change).
    S3 URLs are presigned with the shared presign client, at half the cost."""

    def __init__(self, **options):
        super().__init__(**options)
        self.signed = SignedUrls(SIGNED_URLS_KEPT)


@cache
def media_storage() -> MediaStorage:
    options = {
        "bucket_name": settings.S3_MEDIA_BUCKET,
        "region_name": settings.AWS_REGION,
        "querystring_auth": True,
        "querystring_expire": settings.MEDIA_URL_EXPIRY_S,
        "signature_version": "s3v4",
        "file_overwrite": True,
    }
    if settings.CLOUDFRONT_DOMAIN:
        options.update(
            custom_domain=settings.CLOUDFRONT_DOMAIN,
            cloudfront_key_id=settings.CLOUDFRONT_KEY_ID,
            cloudfront_key=settings.CLOUDFRONT_PRIVATE_KEY.encode(),
            url_protocol="https:",
        )
    else:
        options.update(
            endpoint_url=settings.S3_PUBLIC_ENDPOINT_URL or None,
            addressing_style="path" if settings.S3_PUBLIC_ENDPOINT_URL else "virtual",
        )
    if settings.AWS_ACCESS_KEY_ID:
        options.update(
            access_key=settings.AWS_ACCESS_KEY_ID, secret_key=settings.AWS_SECRET_ACCESS_KEY
        )
    return MediaStorage(**options)


def media_url(key: str | None) -> str:
    """A URL the browser can fetch a media object with, valid for at least
    ``media_url_window_s()`` more seconds. Signed once per window and process: every
    page of the window (posters, avatars, live segments) reuses it.

    A presigned S3 GET names the type and disposition S3 answers with; through
    CloudFront the object's stored type is served and the distribution's response
    headers policy adds nosniff (``media_headers.RESPONSE_HEADERS_POLICY``)."""
    if not key:
        return ""
    window = media_url_window_s()
    index = int(signing_time() // window)
    signed = media_storage().signed
    url = signed.get((key, index))
    if url is None:
        url = media_url_until(key, valid_until=(index + 2) * window)
        signed.put((key, index), url)
    return url


def media_url_until(key: str, *, valid_until: float) -> str:
    """A URL for ``key`` signed now and valid until ``valid_until`` (Unix seconds; a
    presigned S3 GET for a week at most)."""
    if settings.CLOUDFRONT_DOMAIN:
        # No S3 response-* parameters: CloudFront would take them into its cache key.
        url = f"https://{settings.CLOUDFRONT_DOMAIN}/{filepath_to_uri(key)}"
        return cloudfront_signer().generate_presigned_url(url, date_less_than=utc(valid_until))
    expires_in = min(MAX_PRESIGNED_S, max(1, math.ceil(valid_until - signing_time())))
    return s3_presign_client().generate_presigned_url(
        "get_object",
        Params={"Bucket": settings.S3_MEDIA_BUCKET, "Key": key, **s3_response_parameters(key)},
        ExpiresIn=expires_in,
    )


def cloudfront_signer():
    """botocore's ``CloudFrontSigner`` for the configured key pair (CDN mode only)."""
    return media_storage().cloudfront_signer


def utc(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


# Channel images are uploaded here in the raw bucket (never served, not behind the CDN)
# and copied to the media bucket once checked; what nobody completed expires.
IMAGE_UPLOAD_PREFIX = "images/"
IMAGE_UPLOAD_EXPIRY_DAYS = 1


def bucket_lifecycle_rules() -> dict[str, list[dict]]:
    """The lifecycle rules of each bucket, by bucket name, in the S3 API's shape
    (``PutBucketLifecycleConfiguration`` Rules): what ``ensure_buckets`` sets and what
    the deploy's bucket definitions should carry."""
    # A large upload the creator never finished or resumed: storage drops its parts when
    # reconcile_transcodes gives up on the video (UPLOAD_ABANDONED_AFTER_S, in whole days).
    unfinished_days = max(1, -(-settings.UPLOAD_ABANDONED_AFTER_S // 86400))
    return {
        settings.S3_RAW_BUCKET: [
            {
                "ID": "abort-unfinished-uploads",
                "Filter": {"Prefix": "raw/"},
                "Status": "Enabled",
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": unfinished_days},
            },
            {
                "ID": "expire-uncompleted-images",
                "Filter": {"Prefix": IMAGE_UPLOAD_PREFIX},
                "Status": "Enabled",
                "Expiration": {"Days": IMAGE_UPLOAD_EXPIRY_DAYS},
            },
        ],
    }


def ensure_buckets(*, stdout=None) -> list[str]:
    """Create the raw and media buckets with the CORS rules browser uploads need and the
    lifecycle rules of ``bucket_lifecycle_rules``."""
    client = s3_client()
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    done = []
    origins = settings.S3_CORS_ALLOWED_ORIGINS or ["*"]
    # S3 refuses a CreateBucket outside us-east-1 without the region as its location
    # constraint, and one naming us-east-1 (IllegalLocationConstraintException).
    region = client.meta.region_name
    location = {"CreateBucketConfiguration": {"LocationConstraint": region}}
    if region == "us-east-1":
        location = {}
    # Browsers only ever write to the raw bucket (videos, channel images) and only
    # read the media bucket.
    for bucket, methods in (
        (settings.S3_RAW_BUCKET, ["POST", "PUT"]),
        (settings.S3_MEDIA_BUCKET, ["GET", "HEAD"]),
    ):
        if bucket not in existing:
            client.create_bucket(Bucket=bucket, **location)
            done.append(f"create bucket {bucket}")
        client.put_bucket_cors(
            Bucket=bucket,
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": origins,
                        "AllowedMethods": methods,
                        "AllowedHeaders": ["*"],
                        "ExposeHeaders": ["ETag"],
                        "MaxAgeSeconds": 3000,
                    }
                ]
            },
        )
    for bucket, rules in bucket_lifecycle_rules().items():
        client.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": rules}
        )
    return done
