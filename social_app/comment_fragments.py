"""The comment threads of a watch page as HTML: rendered once per remembered page and
kind of viewer, then finished per request.

Kinds: ``anonymous`` (no forms), ``member`` (reply forms, report links) and
``manager`` (the video's owner or staff: a Delete on every comment). The CSRF token and
the forms' client token are placeholders in the shared HTML, filled per request; the
viewer's own comments get their Edit and Delete controls spliced in between the markers
around each comment's actions. So a page of 50 threads costs one render per few seconds
per process, not one per view (videoplatform.fragments).
"""

import secrets

from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from social_app.selectors import CommentsPage
from videoplatform.fragments import CSRF_PLACEHOLDER, fill, fragment

# One client token per page view for every comment form on it: a comment's claim is
# per reply target (social_app.services), so the forms cannot take each other's post.
COMMENT_TOKEN_PLACEHOLDER = "@@comment-token@@"


def viewer_kind(user, *, can_manage: bool) -> str:
    if not getattr(user, "is_authenticated", False):
        return "anonymous"
    return "manager" if can_manage else "member"


def shared_threads(*, video, page: CommentsPage, kind: str) -> SafeString:
    """The ``<li>`` threads of ``page`` for every viewer of ``kind``, with placeholders."""
    return fragment(
        page.fragments,
        f"threads:{kind}",
        lambda: render_to_string(
            "social_app/_comment_threads.html",
            {
                "video": video,
                "comments": page,
                "sort": page.sort,
                "kind": kind,
                "csrf_token": CSRF_PLACEHOLDER,
                "comment_token": COMMENT_TOKEN_PLACEHOLDER,
            },
        ),
    )


def finished(
    html: str, request, *, video, page: CommentsPage | None, kind: str, csrf_token: str = ""
) -> SafeString:
    """``html`` (holding shared threads, or any part rendered with these placeholders) as
    ``request.user`` sees it: their own comments' controls spliced in, the placeholders
    filled (with ``csrf_token`` when the caller already has one for this response)."""
    if kind != "anonymous" and page is not None:
        html = _with_own_controls(html, request.user.user_id, video=video, page=page, kind=kind)
    return fill(
        html,
        {
            CSRF_PLACEHOLDER: csrf_token or get_token(request),
            COMMENT_TOKEN_PLACEHOLDER: secrets.token_urlsafe(18),
        },
    )


def comment_threads(request, *, video, page: CommentsPage, can_manage: bool) -> SafeString:
    """The ``<li>`` threads of ``page`` as ``request.user`` sees them."""
    kind = viewer_kind(request.user, can_manage=can_manage)
    return finished(
        shared_threads(video=video, page=page, kind=kind),
        request,
        video=video,
        page=page,
        kind=kind,
    )


def _own_comments(page: CommentsPage, user_id: str):
    for thread in page.threads:
        for comment in (thread.comment, *thread.replies):
            if comment.user_id == user_id and not (comment.deleted or comment.hidden):
                yield comment


def _with_own_controls(html: str, user_id: str, *, video, page: CommentsPage, kind: str) -> str:
    for comment in _own_comments(page, user_id):
        start_marker = f"<!--actions:{comment.comment_id}-->"
        end_marker = f"<!--/actions:{comment.comment_id}-->"
        start = html.find(start_marker)
        end = html.find(end_marker, start)
        if start < 0 or end < 0:
            continue
        controls = render_to_string(
            "social_app/_comment_actions.html",
            {
                "video": video,
                "comment": comment,
                "own": True,
                "kind": kind,
                "sort": page.sort,
                "report_url": reverse("report"),
                "csrf_token": CSRF_PLACEHOLDER,
            },
        )
        html = html[: start + len(start_marker)] + controls + html[end:]
    return html
