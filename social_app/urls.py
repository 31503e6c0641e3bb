from django.urls import path

from social_app import views

urlpatterns = [
    path("watch/<str:video_id>/like/", views.like, name="like"),
    path("watch/<str:video_id>/view/", views.view, name="view"),
    path("watch/<str:video_id>/comments/", views.comment_create, name="comment_create"),
    path("watch/<str:video_id>/comments/more/", views.comments_more, name="comments_more"),
    path(
        "watch/<str:video_id>/comments/<str:comment_id>/edit/",
        views.comment_edit,
        name="comment_edit",
    ),
    path(
        "watch/<str:video_id>/comments/<str:comment_id>/delete/",
        views.comment_delete,
        name="comment_delete",
    ),
    path("c/<str:handle>/subscribe/", views.subscribe, name="subscribe"),
    path("c/<str:handle>/notifications/", views.subscription_notify, name="subscription_notify"),
    path("feed/subscriptions/", views.subscription_feed, name="subscription_feed"),
    path("feed/liked/", views.liked_videos, name="liked_videos"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/bell/", views.bell, name="bell"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path(
        "notifications/<str:notification_id>/open/",
        views.notification_open,
        name="notification_open",
    ),
]

from social_app import moderation_views  # noqa: E402

urlpatterns += [
    path("report/", moderation_views.report, name="report"),
    path("moderation/", moderation_views.queue, name="moderation_queue"),
    path("moderation/audit/", moderation_views.audit, name="moderation_audit"),
    path("moderation/targets/<str:target_key>/", moderation_views.target, name="moderation_target"),
    path("moderation/users/<str:user_id>/", moderation_views.user_page, name="moderation_user"),
    path("moderation/actions/<str:action>/", moderation_views.act, name="moderation_act"),
]
