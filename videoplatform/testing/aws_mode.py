"""Helpers for running the app in its AWS mode without an AWS account (tests only).

CloudFront signatures are checked here with the public half of a generated key pair,
independently of the botocore signer the app uses, and an IVS client is split between
moto (the channel calls it models) and botocore's Stubber (the ones it does not).
"""

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# CloudFront's URL-safe base64: "+=/" written as "-_~".
_FROM_CLOUDFRONT_B64 = str.maketrans("-_~", "+=/")


@dataclass(frozen=True)
class CloudFrontKeys:
    private_pem: str
    public_key: rsa.RSAPublicKey


def generate_cloudfront_keys() -> CloudFrontKeys:
    """A fresh RSA key pair as CloudFront public keys take it (2048 bits)."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return CloudFrontKeys(private_pem=pem, public_key=private_key.public_key())


def cloudfront_b64decode(value: str) -> bytes:
    return base64.b64decode(value.translate(_FROM_CLOUDFRONT_B64))


def verified_policy(public_key: rsa.RSAPublicKey, *, policy: bytes, signature: bytes) -> dict:
    """The policy, once its RSA-SHA1 signature (what CloudFront checks) verifies;
    raises cryptography's InvalidSignature otherwise."""
    public_key.verify(signature, policy, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    return json.loads(policy)


def verified_cookie_policy(public_key: rsa.RSAPublicKey, cookies: dict[str, str]) -> dict:
    """The custom policy of a set of CloudFront signed cookies, verified."""
    return verified_policy(
        public_key,
        policy=cloudfront_b64decode(cookies["CloudFront-Policy"]),
        signature=cloudfront_b64decode(cookies["CloudFront-Signature"]),
    )


def verified_canned_url(public_key: rsa.RSAPublicKey, url: str) -> tuple[str, int, str]:
    """(resource, expiry, key-pair id) of a CloudFront signed URL with a canned policy,
    whose policy is rebuilt as AWS documents it and verified against the signature."""
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    resource = f"{parts.scheme}://{parts.netloc}{parts.path}"
    expires = int(query["Expires"])
    condition = '{"DateLessThan":{"AWS:EpochTime":' + str(expires) + "}}"
    canned = f'{{"Statement":[{{"Resource":"{resource}","Condition":{condition}}}]}}'.encode()
    verified_policy(public_key, policy=canned, signature=cloudfront_b64decode(query["Signature"]))
    return resource, expires, query["Key-Pair-Id"]


class SplitClient:
    """One service's client as the app sees it: the operations in ``stubbed_operations``
    go to ``stubbed`` (a client under a Stubber), everything else to ``modelled``
    (a client moto answers)."""

    def __init__(self, *, modelled, stubbed, stubbed_operations: Iterable[str]):
        self._modelled = modelled
        self._stubbed = stubbed
        self._stubbed_operations = frozenset(stubbed_operations)

    def __getattr__(self, name: str):
        target = self._stubbed if name in self._stubbed_operations else self._modelled
        return getattr(target, name)
