"""Reporting (any signed-in user) and the moderation pages (moderators and admins)."""

from functools import wraps

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from channels_app.auth.sessions import login_required
from channels_app.selectors import channels_for_owner, user_get
from social_app import moderation, selectors
from videoplatform.errors import ApplicationError, PermissionDenied, RateLimited
from videoplatform.http import error_page, safe_next
from videoplatform.storage import media_url
from videos_app.selectors import studio_videos


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"), choices=list(moderation.REASONS.items())
    )
    note = forms.CharField(
        label=gettext_lazy("Details (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=moderation.NOTE_MAX,
    )


def staff_required(view):
    """Moderators and admins only; everyone else gets 403 (anonymous: log in first)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            return error_page(request, PermissionDenied(_("Moderators only.")))
        return view(request, *args, **kwargs)

    return wrapper


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def report(request):
    """Report a video, a comment or a channel."""
    source = request.POST if request.method == "POST" else request.GET
    target_type = source.get("type", "")
    target_id = source.get("id", "")
    video_id = source.get("video") or None
    try:
        target = moderation.resolve_target(target_type, target_id, video_id, user=request.user)
    except ApplicationError as error:
        return error_page(request, error) or render(request, "errors/404.html", status=404)
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            moderation.report_create(
                user=request.user,
                target_type=target_type,
                target_id=target_id,
                video_id=video_id,
                **form.cleaned_data,
            )
        except RateLimited as error:
            form.add_error(None, error.message)
            status = 429
        except ApplicationError as error:
            form.add_error(None, error.message)
            status = error.status_code
        else:
            messages.success(request, _("Thanks. A moderator will review your report."))
            return redirect(safe_next(request, target["link"]))
    return render(
        request,
        "social_app/report.html",
        {
            "form": form,
            "target": target,
            "type": target_type,
            "id": target_id,
            "video_id": video_id or "",
        },
        status=status,
    )


@staff_required
@require_safe
def queue(request):
    """Open reports grouped by target, in review and most reported first."""
    page = selectors.report_queue(cursor=request.GET.get("after"))
    return render(request, "social_app/moderation/queue.html", {"page": page})


@staff_required
@require_safe
def target(request, target_key: str):
    """One reported target: preview, every report with its note, and the actions."""
    item = selectors.report_target(target_key)
    if item is None:
        raise Http404(_("No reports for that target."))
    return render(
        request,
        "social_app/moderation/target.html",
        {
            "target": item,
            "reports": selectors.reports_for(target_key),
            "video_id": target_key.split("#")[1]
            if target_key.startswith(("video#", "comment#"))
            else None,
            "comment_id": target_key.split("#", 2)[2]
            if target_key.startswith("comment#")
            else None,
        },
    )


ACTIONS = {
    "dismiss": lambda user, data, reason: moderation.report_dismiss(
        moderator=user, target_key=data["target_key"], reason=reason
    ),
    "remove_video": lambda user, data, reason: moderation.video_remove(
        moderator=user, video_id=data["video_id"], reason=reason
    ),
    "restore_video": lambda user, data, reason: moderation.video_restore(
        moderator=user, video_id=data["video_id"], reason=reason
    ),
    "remove_comment": lambda user, data, reason: moderation.comment_remove(
        moderator=user, video_id=data["video_id"], comment_id=data["comment_id"], reason=reason
    ),
    "ban_user": lambda user, data, reason: moderation.user_ban(
        moderator=user, user_id=data["user_id"], reason=reason
    ),
    "unban_user": lambda user, data, reason: moderation.user_unban(
        moderator=user, user_id=data["user_id"], reason=reason
    ),
    "grant_moderator": lambda user, data, reason: moderation.moderator_role_set(
        admin=user, user_id=data["user_id"], granted=True, reason=reason
    ),
    "revoke_moderator": lambda user, data, reason: moderation.moderator_role_set(
        admin=user, user_id=data["user_id"], granted=False, reason=reason
    ),
}


# How "Done: <action>." names each action (lower case: it ends the sentence).
ACTION_DONE = {
    "dismiss": gettext_lazy("dismiss"),
    "remove_video": gettext_lazy("remove video"),
    "restore_video": gettext_lazy("restore video"),
    "remove_comment": gettext_lazy("remove comment"),
    "ban_user": gettext_lazy("ban user"),
    "unban_user": gettext_lazy("unban user"),
    "grant_moderator": gettext_lazy("grant moderator"),
    "revoke_moderator": gettext_lazy("revoke moderator"),
}


@staff_required
@require_POST
def act(request, action: str):
    """Apply one moderation action (a reason is required) and go back."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404(_("Unknown action."))
    data = {
        key: request.POST.get(key, "")
        for key in ("target_key", "video_id", "comment_id", "user_id")
    }
    try:
        handler(request.user, data, request.POST.get("reason", ""))
    except PermissionDenied as error:
        return error_page(request, error)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Done: %(action)s.") % {"action": ACTION_DONE.get(action, action.replace("_", " "))},
        )
    return redirect(safe_next(request, "/moderation/"))


@staff_required
@require_safe
def user_page(request, user_id: str):
    """A user's channels, videos, reports against them and moderation history."""
    subject = user_get(user_id)
    if subject is None:
        raise Http404(_("No such user."))
    videos = studio_videos(user_id, limit=30).items
    return render(
        request,
        "social_app/moderation/user.html",
        {
            "subject": subject,
            "channels": channels_for_owner(user_id),
            "videos": [(v, media_url(v.poster_key)) for v in videos],
            "reports": selectors.reports_against(user_id),
            "history": selectors.audit_log(subject_user_id=user_id).items,
        },
    )


@staff_required
@require_safe
def audit(request):
    """The audit log, newest first; filter by moderator or by target."""
    moderator_id = request.GET.get("moderator") or None
    target_key = request.GET.get("target") or None
    page = selectors.audit_log(
        moderator_id=moderator_id, target_key=target_key, cursor=request.GET.get("after")
    )
    return render(
        request,
        "social_app/moderation/audit.html",
        {"page": page, "moderator": moderator_id or "", "target": target_key or ""},
    )
