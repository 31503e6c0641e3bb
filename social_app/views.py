"""Likes, comments, subscriptions, feeds, notifications and view counts."""

import secrets

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from channels_app.auth.sessions import login_required
from channels_app.selectors import channel_get_by_handle
from social_app import notifications as notification_services
from social_app import selectors, services, staff_actions
from social_app.comment_fragments import comment_threads, viewer_kind
from social_app.view_tokens import view_token_viewer
from videoplatform.errors import ApplicationError, NotFound, PermissionDenied, RateLimited
from videoplatform.http import error_page
from videos_app.cards import video_grid
from videos_app.selectors import video_for_viewer


def _back_to_watch(video_id: str, anchor: str = "", *, sort: str = "") -> HttpResponse:
    query = "?sort=top" if sort == "top" else ""
    return redirect(reverse("watch", args=[video_id]) + query + anchor)


def _error(request, error: ApplicationError, *, fallback):
    """htmx gets the message with the error status; a plain form POST gets a message."""
    if isinstance(error, PermissionDenied | NotFound) and not request.htmx:
        return error_page(request, error)
    if isinstance(error, RateLimited) and not request.htmx:
        return render(request, "errors/429.html", {"message": error.message}, status=429)
    if request.htmx:
        return HttpResponse(
            format_html('<p class="error" role="alert">{}</p>', error.message),
            status=error.status_code,
            headers={"HX-Retarget": "#messages", "HX-Reswap": "innerHTML"},
        )
    messages.error(request, error.message)
    return fallback


@login_required
@require_POST
def like(request, video_id: str):
    """Like or unlike a video (the form says which, so a repeat changes nothing)."""
    wanted = request.POST.get("liked") == "1"
    try:
        liked, count = services.like_set(user=request.user, video_id=video_id, liked=wanted)
    except ApplicationError as error:
        return _error(request, error, fallback=_back_to_watch(video_id))
    if request.htmx:
        return render(
            request,
            "social_app/_like_button.html",
            {"video_id": video_id, "liked": liked, "like_count": count},
        )
    return _back_to_watch(video_id)


@login_required
@require_POST
def comment_create(request, video_id: str):
    """Post a comment or a reply (a reply keeps the order the list was in)."""
    sort = selectors.comment_sort(request.POST.get("sort"))
    try:
        comment = services.comment_post(
            user=request.user,
            video_id=video_id,
            text=request.POST.get("text", ""),
            parent_id=request.POST.get("parent_id") or None,
            client_token=request.POST.get("client_token"),
        )
    except ApplicationError as error:
        return _error(request, error, fallback=_back_to_watch(video_id, "#comments", sort=sort))
    if request.htmx:
        return _comments_partial(request, video_id, sort=sort)
    messages.success(request, _("Comment posted."))
    return _back_to_watch(video_id, f"#comment-{comment.comment_id}", sort=sort)


def _comments_partial(request, video_id: str, *, sort: str):
    video = video_for_viewer(video_id, user=request.user, with_counts=True)
    page = selectors.comments_sorted_page(video_id, sort=sort)
    can_manage = _can_moderate(request.user, video)
    return render(
        request,
        "social_app/_comments.html",
        {
            "video": video,
            "sort": page.sort,
            "kind": viewer_kind(request.user, can_manage=can_manage),
            "comment_token": secrets.token_urlsafe(18),
            "comment_threads": comment_threads(
                request, video=video, page=page, can_manage=can_manage
            ),
        },
    )


def _can_moderate(user, video) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and (user.is_staff or user.user_id == video.owner_user_id)
    )


@require_safe
def comments_more(request, video_id: str):
    """The next page of comments ("Load more"), in the order asked for (``sort``); without
    a cursor, the first page in that order, and for htmx the order switch with it (out
    of band), which is how "Top / Newest" replaces only the list."""
    try:
        video = video_for_viewer(video_id, user=request.user)
    except NotFound:
        raise Http404 from None
    sort, cursor = selectors.comment_sort(request.GET.get("sort")), request.GET.get("after")
    page = selectors.comments_sorted_page(video_id, sort=sort, cursor=cursor)
    threads = comment_threads(
        request, video=video, page=page, can_manage=_can_moderate(request.user, video)
    )
    if cursor is None and request.htmx:
        switch = render_to_string(
            "social_app/_comment_sort.html", {"video": video, "sort": page.sort, "oob": True}
        )
        return HttpResponse(threads + switch)
    return HttpResponse(threads)


@login_required
@require_POST
def comment_edit(request, video_id: str, comment_id: str):
    """Edit your own comment."""
    sort = selectors.comment_sort(request.POST.get("sort"))
    try:
        services.comment_edit(
            user=request.user,
            video_id=video_id,
            comment_id=comment_id,
            text=request.POST.get("text", ""),
        )
    except ApplicationError as error:
        return _error(request, error, fallback=_back_to_watch(video_id, "#comments", sort=sort))
    if request.htmx:
        return _comments_partial(request, video_id, sort=sort)
    return _back_to_watch(video_id, f"#comment-{comment_id}", sort=sort)


@login_required
@require_POST
def comment_delete(request, video_id: str, comment_id: str):
    """Delete a comment (its author, the video's owner or staff)."""
    sort = selectors.comment_sort(request.POST.get("sort"))
    try:
        staff_actions.comment_delete(user=request.user, video_id=video_id, comment_id=comment_id)
    except ApplicationError as error:
        return _error(request, error, fallback=_back_to_watch(video_id, "#comments", sort=sort))
    if request.htmx:
        return _comments_partial(request, video_id, sort=sort)
    messages.success(request, _("Comment deleted."))
    return _back_to_watch(video_id, "#comments", sort=sort)


@login_required
@require_POST
def subscribe(request, handle: str):
    """Subscribe to or unsubscribe from a channel."""
    channel = channel_get_by_handle(handle)
    if channel is None:
        raise Http404(_("No such channel."))
    wanted = request.POST.get("subscribed") == "1"
    fallback = redirect(
        request.POST.get("back")
        if (request.POST.get("back") or "").startswith("/watch/")
        else reverse("channel_page", args=[channel.handle])
    )
    try:
        subscribed, count = services.subscription_set(
            user=request.user, channel_id=channel.channel_id, subscribed=wanted
        )
    except ApplicationError as error:
        return _error(request, error, fallback=fallback)
    if request.htmx:
        return render(
            request,
            "social_app/_subscribe_button.html",
            {
                "channel": channel,
                "subscribed": subscribed,
                "subscriber_count": count,
                "notify": "all" if subscribed else None,
            },
        )
    return fallback


@login_required
@require_POST
def subscription_notify(request, handle: str):
    """Choose notifications for a subscription: all or none."""
    channel = channel_get_by_handle(handle)
    if channel is None:
        raise Http404(_("No such channel."))
    try:
        services.subscription_set_notify(
            user=request.user, channel_id=channel.channel_id, notify=request.POST.get("notify", "")
        )
    except ApplicationError as error:
        return _error(request, error, fallback=redirect("channel_page", handle=channel.handle))
    messages.success(request, _("Notification setting saved."))
    return redirect("channel_page", handle=channel.handle)


@require_POST
def view(request, video_id: str):
    """Count a view when playback starts (sent by the player, once per page). A
    signed-in viewer counts once per window; an anonymous one needs the token of a page
    the site served, and no session is written for it."""
    if request.user.is_authenticated:
        viewer = f"u:{request.user.user_id}"
    else:
        token = request.GET.get("t") or request.POST.get("t") or ""
        viewer = view_token_viewer(token=token, video_id=video_id)
    try:
        counted = services.view_record(video_id=video_id, viewer_key=viewer, user=request.user)
    except NotFound:
        return JsonResponse({"error": "not found"}, status=404)
    except ApplicationError as error:
        return JsonResponse({"error": error.message}, status=error.status_code)
    return JsonResponse({"counted": counted})


@login_required
@require_safe
def subscription_feed(request):
    """Newest videos from the channels you follow."""
    page = selectors.subscription_feed(user=request.user, cursor=request.GET.get("after"))
    return render(
        request,
        "social_app/feed.html",
        {"page": page, "grid": video_grid(page), "heading": _("Subscriptions")},
    )


@login_required
@require_safe
def liked_videos(request):
    """Videos you liked."""
    page = selectors.liked_videos(user=request.user, cursor=request.GET.get("after"))
    return render(
        request,
        "social_app/feed.html",
        {"page": page, "grid": video_grid(page), "heading": _("Liked videos")},
    )


@login_required
@require_safe
def notifications(request):
    """Your notifications, newest first."""
    page = selectors.notifications_page(user=request.user, cursor=request.GET.get("after"))
    return render(request, "social_app/notifications.html", {"page": page})


@login_required
@require_safe
def bell(request):
    """The unread count in the navigation (htmx refreshes it)."""
    count = selectors.unread_count(user=request.user)
    return render(request, "social_app/_bell.html", {"unread": count, "cap": selectors.UNREAD_CAP})


@login_required
@require_POST
def notifications_read_all(request):
    """Mark all as read."""
    notification_services.notifications_mark_all_read(user=request.user)
    return redirect("notifications")


@login_required
@require_safe
def notification_open(request, notification_id: str):
    """Open a notification: mark it read and follow its link."""
    try:
        item = notification_services.notification_mark_read(
            user=request.user, notification_id=notification_id
        )
    except NotFound:
        raise Http404 from None
    return redirect(item.link or "notifications")
