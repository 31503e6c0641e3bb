from django.urls import path

from live_app import views

urlpatterns = [
    path("studio/live/", views.studio_live, name="studio_live"),
    path("studio/live/<str:stream_id>/", views.studio_live_session, name="studio_live_session"),
    path("studio/live/<str:stream_id>/rotate-key/", views.rotate_key, name="rotate_key"),
    path("studio/live/<str:stream_id>/end/", views.end_stream, name="end_stream"),
    path("studio/live/<str:stream_id>/state/", views.studio_live_state, name="studio_live_state"),
    path("live/<str:stream_id>/", views.live_page, name="live_page"),
    path("live/<str:stream_id>/state/", views.live_state, name="live_state"),
    path("live/<str:stream_id>/hls/<str:name>", views.live_playlist, name="live_playlist"),
]
