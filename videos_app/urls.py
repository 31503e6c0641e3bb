from django.urls import path

from videos_app import views

urlpatterns = [
    path("", views.home, name="home"),
]
