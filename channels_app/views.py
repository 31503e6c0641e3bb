"""Accounts, studio channel management and channel pages."""

import logging

from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from channels_app import accounts, images, login_throttle, preferences, selectors, services, signups
from channels_app.auth import cognito
from channels_app.auth.backends import cognito_config, uses_cognito
from channels_app.auth.sessions import login_required, session_login, session_logout
from channels_app.channel_page import ChannelInputs, channel_main, tab_of
from channels_app.channel_page import viewer_kind as page_viewer_kind
from channels_app.forms import ChannelCreateForm, ChannelEditForm, LoginForm, SignUpForm
from live_app.selectors import channel_sessions, live_now
from social_app import intents, staff_actions
from social_app.selectors import subscription_get
from videoplatform.errors import ApplicationError, PermissionDenied, RateLimited
from videoplatform.http import client_ip, error_page, form_error, safe_next
from videoplatform.storage import media_url
from videos_app.selectors import channel_public_videos

logger = logging.getLogger(__name__)

PKCE_SESSION_KEY = "_cognito_login"


@sensitive_post_parameters("password")
@require_http_methods(["GET", "HEAD", "POST"])
def signup(request):
    """Ask for a local account: the confirmation link goes to the email address."""
    if uses_cognito():
        return redirect("login")
    form = SignUpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            email = signups.signup_request(
                **form.cleaned_data, ip=client_ip(request), next_path=safe_next(request, "")
            )
        except ApplicationError as error:
            form_error(request, form, error)
            status = error.status_code if isinstance(error, RateLimited) else 200
        else:
            # The same page whether or not the email has an account.
            return render(request, "channels_app/signup_sent.html", {"email": email})
    return render(
        request,
        "channels_app/signup.html",
        {"form": form, "next": safe_next(request, "")},
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def signup_confirm(request, token: str):
    """Finish a sign-up from its emailed link: the GET shows a button, the POST creates."""
    if uses_cognito():
        return redirect("login")
    try:
        if request.method == "POST":
            user = signups.signup_confirm(token=token)
            session_login(request, user)
            messages.success(request, _("Welcome, %(name)s!") % {"name": user.display_name})
            return redirect(safe_next(request, "/"))
        pending = signups.signup_pending_get(token=token)
        response = render(
            request,
            "channels_app/signup_confirm.html",
            # The form's next= (checked when stored) rides on the button's POST.
            {"email": pending.email, "next": pending.next_path or ""},
        )
    except ApplicationError as error:
        response = render(
            request,
            "channels_app/signup_confirm.html",
            {"error": error.message},
            status=error.status_code,
        )
    # The token is in this page's URL: no Referer carries it to another site. Not
    # "no-referrer", which would make the button's POST send "Origin: null" and fail CSRF.
    response["Referrer-Policy"] = "same-origin"
    return response


@sensitive_post_parameters("password")
@require_http_methods(["GET", "HEAD", "POST"])
def login(request):
    """Log in with email and password, or start Cognito managed login."""
    if uses_cognito():
        return _cognito_begin(request)
    form = LoginForm(request.POST or None)
    status = 200
    retry_after = None
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.user_authenticate(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
                device_cookie=request.COOKIES.get(login_throttle.DEVICE_COOKIE, ""),
            )
        except login_throttle.LoginThrottled as error:
            form_error(request, form, error)
            status = 429
            retry_after = error.retry_after_s
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            session_login(request, user)
            next_path = safe_next(request, "/")
            done = intents.intent_perform(_intent(request), user=user, next_path=next_path)
            if done:
                messages.success(request, done)
            response = redirect(next_path)
            login_throttle.device_cookie_set(response, request=request, email=user.email)
            return response
    next_path = safe_next(request, "")
    intent = _intent(request)
    response = render(
        request,
        "channels_app/login.html",
        {
            "form": form,
            "next": next_path,
            # Shown, and kept for the POST, only when it would be done.
            "intent": intent,
            "intent_text": intents.intent_describe(intent, next_path=next_path, user=request.user),
        },
        status=status,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@require_http_methods(["GET", "POST"])
def theme_set(request):
    """Light, dark or the device's theme. A signed-in person's choice is kept with their
    account (a POST with the CSRF token); a visitor's only in a cookie of theirs, so their
    pages, which carry no CSRF token, can change it with a plain link or form."""
    data = request.POST if request.method == "POST" else request.GET
    theme = preferences.theme_value(data.get("theme", ""))
    if theme is None:
        return HttpResponseBadRequest(_("Choose light, dark or system."))
    if request.user.is_authenticated:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        accounts.user_set_theme(user=request.user, theme=theme)
    response = redirect(safe_next(request))
    preferences.remember_theme(response, theme)
    return response


@require_POST
def logout(request):
    """Sign out (POST only, so a link elsewhere cannot sign you out)."""
    session_logout(request)
    if uses_cognito():
        return redirect(cognito.logout_url(cognito_config()))
    messages.info(request, _("You are logged out."))
    return redirect("/")


def _intent(request) -> str:
    """What an anonymous click asked for before logging in (social_app.intents)."""
    return (request.POST.get("intent") or request.GET.get("intent") or "")[:100]


def _cognito_begin(request):
    verifier, challenge = cognito.new_pkce_pair()
    state = cognito.new_state()
    request.session[PKCE_SESSION_KEY] = {
        "state": state,
        "verifier": verifier,
        "next": safe_next(request, "/"),
        "intent": _intent(request),
    }
    return redirect(cognito.authorize_url(cognito_config(), state=state, code_challenge=challenge))


# GET only, not HEAD: the callback spends the one-time authorization code.
@require_http_methods(["GET"])
def cognito_callback(request):
    """Finish Cognito managed login: check state, exchange the code, verify the ID token."""
    pending = request.session.pop(PKCE_SESSION_KEY, None)
    code = request.GET.get("code", "")
    if (
        not uses_cognito()
        or not pending
        or request.GET.get("state") != pending.get("state")
        or not code
    ):
        messages.error(request, _("The sign-in could not be completed. Please try again."))
        return redirect("/")
    try:
        tokens = cognito.exchange_code(
            cognito_config(), code=code, code_verifier=pending["verifier"]
        )
        identity = cognito.verify_id_token(cognito_config(), tokens["id_token"])
        user = accounts.user_upsert_from_cognito(identity=identity)
    except PermissionDenied as error:
        return error_page(request, error)
    except ApplicationError as error:
        messages.error(request, _("Sign-in failed: %(reason)s") % {"reason": error.message})
        return redirect("/")
    session_login(request, user)
    next_path = pending.get("next") or "/"
    done = intents.intent_perform(pending.get("intent"), user=user, next_path=next_path)
    if done:
        messages.success(request, done)
    return redirect(next_path)


@login_required
def studio(request):
    """The creator's dashboard: their channels."""
    channels = selectors.channels_for_owner(request.user.user_id)
    return render(
        request,
        "channels_app/studio.html",
        {"channels": [(c, media_url(c.avatar_key)) for c in channels]},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def channel_create(request):
    """Create a channel."""
    form = ChannelCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            channel = services.channel_create(owner=request.user, **form.cleaned_data)
        except PermissionDenied as error:
            return error_page(request, error)
        except ApplicationError as error:
            form_error(request, form, error)
        else:
            messages.success(
                request, _("Channel @%(handle)s created.") % {"handle": channel.handle}
            )
            return redirect("channel_edit", channel_id=channel.channel_id)
    return render(request, "channels_app/channel_create.html", {"form": form})


def _editable_channel(request, channel_id: str):
    channel = selectors.channel_get(channel_id)
    if channel is None:
        raise Http404(_("No such channel."))
    services.require_channel_editor(actor=request.user, channel=channel)
    return channel


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def channel_edit(request, channel_id: str):
    """Edit a channel's name and description; upload its avatar and banner."""
    try:
        channel = _editable_channel(request, channel_id)
    except PermissionDenied as error:
        return error_page(request, error)
    form = ChannelEditForm(
        request.POST or None, initial={"name": channel.name, "description": channel.description}
    )
    if request.method == "POST" and form.is_valid():
        try:
            staff_actions.channel_edit(actor=request.user, channel=channel, **form.cleaned_data)
        except ApplicationError as error:
            form_error(request, form, error)
        else:
            messages.success(request, _("Channel saved."))
            return redirect("channel_edit", channel_id=channel.channel_id)
    return render(
        request,
        "channels_app/channel_edit.html",
        {
            "form": form,
            "channel": channel,
            "avatar_url": media_url(channel.avatar_key),
            "banner_url": media_url(channel.banner_key),
        },
    )


@login_required
@require_POST
def channel_image_start(request, channel_id: str, kind: str):
    """JSON: a presigned POST the browser sends the image to, straight to S3."""
    try:
        channel = _editable_channel(request, channel_id)
        post = images.channel_image_upload_start(
            actor=request.user,
            channel=channel,
            kind=kind,
            content_type=request.POST.get("content_type", ""),
        )
    except ApplicationError as error:
        return JsonResponse({"error": error.message}, status=error.status_code)
    return JsonResponse(
        {"url": post.url, "fields": post.fields, "key": post.key, "max_bytes": post.max_bytes}
    )


@login_required
@require_POST
def channel_image_complete(request, channel_id: str, kind: str):
    """JSON: verify the uploaded image and attach it to the channel."""
    try:
        channel = _editable_channel(request, channel_id)
        channel = staff_actions.channel_image_set(
            actor=request.user,
            channel=channel,
            kind=kind,
            key=request.POST.get("key", ""),
        )
    except ApplicationError as error:
        return JsonResponse({"error": error.message}, status=error.status_code)
    key = channel.avatar_key if kind == "avatar" else channel.banner_key
    return JsonResponse({"url": media_url(key)})


def channel_page(request, handle: str):
    """A channel's public page: its Videos, Live or About tab (``?tab=``)."""
    channel = selectors.channel_get_by_handle(handle, with_counts=True)
    if channel is None or (channel.owner_banned and not request.user.is_staff):
        raise Http404(_("No such channel."))
    user = request.user
    tab = tab_of(request.GET.get("tab"))
    inputs = ChannelInputs(
        channel=channel,
        live=live_now(channel.channel_id),
        kind=page_viewer_kind(user, channel),
        own=user.is_authenticated and user.user_id == channel.owner_user_id,
        subscription=subscription_get(user=user, channel_id=channel.channel_id),
        tab=tab,
        page=(
            channel_public_videos(channel.channel_id, cursor=request.GET.get("after"))
            if tab == "videos"
            else None
        ),
        sessions=channel_sessions(channel.channel_id) if tab == "live" else None,
    )
    return render(
        request,
        "channels_app/channel_page.html",
        {"channel": channel, "main": channel_main(request, inputs)},
    )
