from django.urls import include, path

from videoplatform import hooks, views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("language/", views.language_set, name="language_set"),
    path("hooks/aws/events/", hooks.aws_events, name="aws_events"),
    path("", include("videos_app.urls")),
    path("", include("social_app.urls")),
    path("", include("live_app.urls")),
    path("", include("channels_app.urls")),
]

handler400 = "videoplatform.views.bad_request"
handler403 = "videoplatform.views.permission_denied"
handler404 = "videoplatform.views.page_not_found"
handler500 = "videoplatform.views.server_error"
