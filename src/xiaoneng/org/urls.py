from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("", views.staff_list, name="staff_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/active/", views.user_toggle_active, name="user_toggle_active"),
    path("users/<int:pk>/password/", views.user_password, name="user_password"),
    path("users/<int:pk>/posts/new/", views.post_create, name="post_create"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:pk>/active/", views.post_toggle_active, name="post_toggle_active"),
]
