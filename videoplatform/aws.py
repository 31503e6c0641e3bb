"""boto3 clients, configured once from settings.

S3 and DynamoDB need no backend switch: locally only the endpoint URL differs.
Presigned URLs are signed for the endpoint the *browser* uses, which may differ
from the one the server talks to.
"""

from functools import cache

import boto3
from botocore.config import Config
from django.conf import settings


def _config(**extra) -> Config:
    return Config(
        connect_timeout=settings.AWS_CONNECT_TIMEOUT_S,
        read_timeout=settings.AWS_READ_TIMEOUT_S,
        retries={"max_attempts": settings.AWS_MAX_ATTEMPTS, "mode": "standard"},
        **extra,
    )


def _credentials() -> dict:
    if settings.AWS_ACCESS_KEY_ID:
        return {
            "aws_access_key_id": settings.AWS_ACCESS_KEY_ID,
            "aws_secret_access_key": settings.AWS_SECRET_ACCESS_KEY,
        }
    return {}


def _s3_config() -> Config:
    # SigV4 always (us-east-1 would default presigned POSTs to SigV2); path-style
    # addressing locally, where there is no per-bucket DNS.
    addressing = "path" if settings.S3_ENDPOINT_URL else "virtual"
    return _config(signature_version="s3v4", s3={"addressing_style": addressing})


def _regional_s3_endpoint(url: str) -> str:
    # The global endpoint answers browser POSTs with a 307 that breaks CORS.
    return url or f"https://s3.{settings.AWS_REGION}.amazonaws.com"


@cache
def s3_client():
    return boto3.client(
        "s3",
        region_name=settings.AWS_REGION,
        endpoint_url=_regional_s3_endpoint(settings.S3_ENDPOINT_URL),
        config=_s3_config(),
        **_credentials(),
    )


@cache
def s3_presign_client():
    return boto3.client(
        "s3",
        region_name=settings.AWS_REGION,
        endpoint_url=_regional_s3_endpoint(settings.S3_PUBLIC_ENDPOINT_URL),
        config=_s3_config(),
        **_credentials(),
    )


@cache
def dynamodb_client():
    return boto3.client(
        "dynamodb",
        region_name=settings.AWS_REGION,
        endpoint_url=settings.DYNAMODB_ENDPOINT_URL or None,
        config=_config(),
        **_credentials(),
    )


@cache
def client(service: str):
    """A client for an AWS-only service (MediaConvert, IVS), made once per service."""
    return boto3.client(
        service, region_name=settings.AWS_REGION, config=_config(), **_credentials()
    )
