from django.urls import path

from videos_app import processing_views, search_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", search_views.search, name="search"),
    path("search/suggest/", search_views.search_suggest, name="search_suggest"),
    path("studio/upload/", views.upload, name="upload"),
    path("studio/videos/", views.studio_videos, name="studio_videos"),
    path("studio/videos/<str:video_id>/uploaded/", views.video_uploaded, name="video_uploaded"),
    path(
        "studio/videos/<str:video_id>/upload-parts/",
        views.video_upload_parts,
        name="video_upload_parts",
    ),
    path("studio/videos/<str:video_id>/cancel/", views.video_cancel, name="video_cancel"),
    path("studio/videos/<str:video_id>/status/", views.video_status, name="video_status"),
    path("studio/videos/<str:video_id>/edit/", views.video_edit, name="video_edit"),
    path("studio/videos/<str:video_id>/delete/", views.video_delete, name="video_delete"),
    path("studio/videos/<str:video_id>/retry/", views.video_retry, name="video_retry"),
    path("watch/<str:video_id>/", views.watch, name="watch"),
    path(
        "watch/<str:video_id>/processing/",
        processing_views.processing_state,
        name="processing_state",
    ),
    path("watch/<str:video_id>/hls/<path:name>", views.playlist, name="playlist"),
    path("watch/<str:video_id>/playback/", views.playback_grant, name="playback_grant"),
]
