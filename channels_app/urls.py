from django.urls import path

from channels_app import views

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/signup/confirm/<str:token>/", views.signup_confirm, name="signup_confirm"),
    path("accounts/login/", views.login, name="login"),
    path("accounts/logout/", views.logout, name="logout"),
    path("accounts/theme/", views.theme_set, name="theme_set"),
    path("accounts/cognito/callback/", views.cognito_callback, name="cognito_callback"),
    path("studio/", views.studio, name="studio"),
    path("studio/channels/new/", views.channel_create, name="channel_create"),
    path("studio/channels/<str:channel_id>/edit/", views.channel_edit, name="channel_edit"),
    path(
        "studio/channels/<str:channel_id>/images/<str:kind>/start/",
        views.channel_image_start,
        name="channel_image_start",
    ),
    path(
        "studio/channels/<str:channel_id>/images/<str:kind>/complete/",
        views.channel_image_complete,
        name="channel_image_complete",
    ),
    path("c/<str:handle>/", views.channel_page, name="channel_page"),
]
