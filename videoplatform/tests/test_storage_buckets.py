"""ensure_buckets against a stubbed S3: the location constraint each region needs."""

import boto3
import pytest
from botocore.stub import ANY, Stubber
from django.conf import settings

from videoplatform import storage


def stubbed_s3(monkeypatch, region: str):
    client = boto3.client(
        "s3", region_name=region, aws_access_key_id="stub", aws_secret_access_key="stub"
    )
    monkeypatch.setattr(storage, "s3_client", lambda: client)
    return client, Stubber(client)


def expect_configuration(stubber, bucket: str) -> None:
    stubber.add_response("put_bucket_cors", {}, {"Bucket": bucket, "CORSConfiguration": ANY})


def expect_lifecycle(stubber) -> None:
    stubber.add_response(
        "put_bucket_lifecycle_configuration",
        {},
        {"Bucket": settings.S3_RAW_BUCKET, "LifecycleConfiguration": ANY},
    )


class TestEnsureBuckets:
    @pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2"])
    def test_outside_us_east_1_names_the_region(self, monkeypatch, region):
        """Outside us-east-1 each bucket is created with the client's region as its
        location constraint (without one S3 answers IllegalLocationConstraintException)."""
        client, stubber = stubbed_s3(monkeypatch, region)
        stubber.add_response("list_buckets", {"Buckets": []}, {})
        for bucket in (settings.S3_RAW_BUCKET, settings.S3_MEDIA_BUCKET):
            stubber.add_response(
                "create_bucket",
                {},
                {
                    "Bucket": bucket,
                    "CreateBucketConfiguration": {"LocationConstraint": region},
                },
            )
            expect_configuration(stubber, bucket)
        expect_lifecycle(stubber)
        with stubber:
            done = storage.ensure_buckets()
        stubber.assert_no_pending_responses()
        assert done == [
            f"create bucket {settings.S3_RAW_BUCKET}",
            f"create bucket {settings.S3_MEDIA_BUCKET}",
        ]

    def test_us_east_1_sends_no_location(self, monkeypatch):
        """In us-east-1 CreateBucket carries no configuration: S3 refuses a constraint
        naming us-east-1."""
        client, stubber = stubbed_s3(monkeypatch, "us-east-1")
        stubber.add_response("list_buckets", {"Buckets": []}, {})
        for bucket in (settings.S3_RAW_BUCKET, settings.S3_MEDIA_BUCKET):
            stubber.add_response("create_bucket", {}, {"Bucket": bucket})
            expect_configuration(stubber, bucket)
        expect_lifecycle(stubber)
        with stubber:
            storage.ensure_buckets()
        stubber.assert_no_pending_responses()

    def test_existing_buckets_are_not_created_again(self, monkeypatch):
        """Buckets that exist only get their CORS and lifecycle rules set again."""
        client, stubber = stubbed_s3(monkeypatch, "eu-west-1")
        stubber.add_response(
            "list_buckets",
            {"Buckets": [{"Name": settings.S3_RAW_BUCKET}, {"Name": settings.S3_MEDIA_BUCKET}]},
            {},
        )
        for bucket in (settings.S3_RAW_BUCKET, settings.S3_MEDIA_BUCKET):
            expect_configuration(stubber, bucket)
        expect_lifecycle(stubber)
        with stubber:
            assert storage.ensure_buckets() == []
        stubber.assert_no_pending_responses()
