"""Form posts made safe to send twice. Each form carries a random client token; the
first post with it claims ``<scope>#<token>`` together with what it writes (one
transaction), and any later post with the same token gets the first result back.

This module is the only writer of the RequestClaims table."""

import re

from pynamodb.transactions import TransactWrite

from videoplatform.dynamodb import now_s, write_once
from videoplatform.models import RequestClaim

# How long a token is remembered: far longer than any retry or double click.
CLAIM_TTL_S = 24 * 3600
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def valid_token(token: str | None) -> str | None:
    """The token when it looks like one a form carries, else None (no idempotency)."""
    return token if token and TOKEN_RE.fullmatch(token) else None


def claim_key(scope: str, token: str) -> str:
    return f"{scope}#{token}"


def claimed_result(scope: str, token: str) -> str | None:
    """What the first post with this token made, or None if none did."""
    try:
        claim = RequestClaim.get(claim_key(scope, token), consistent_read=True)
    except RequestClaim.DoesNotExist:
        return None
    return claim.result_id


def claim_in(tx: TransactWrite, *, scope: str, token: str, result_id: str) -> None:
    """Add the claim to ``tx``: the transaction fails its condition if a post with the
    same token already made something."""
    claim = RequestClaim(
        claim_key(scope, token), result_id=result_id, expires_at=now_s() + CLAIM_TTL_S
    )
    tx.save(claim, condition=RequestClaim.claim_id.does_not_exist())


def claim_once(scope: str, token: str, *, result_id: str, ttl_s: int) -> bool:
    """Claim ``<scope>#<token>`` on its own (no other write with it). False when it was
    already claimed."""
    claim = RequestClaim(claim_key(scope, token), result_id=result_id, expires_at=now_s() + ttl_s)
    return write_once(lambda: claim.save(condition=RequestClaim.claim_id.does_not_exist()))


def release(scope: str, token: str) -> None:
    """Forget a claim whose work failed for a reason that was not the request's, so the
    same request can be tried again."""
    RequestClaim(claim_key(scope, token)).delete()
