from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("guide/", views.guide_list, name="guides"),
    path("guide/<str:code>/", views.guide_detail, name="guide"),
    path("guide/<str:code>/forms/<int:material_id>/", views.blank_form, name="blank_form"),
    path("account/signup/", views.signup, name="signup"),
    path("account/login/", views.login_view, name="login"),
    path("account/logout/", views.logout_view, name="logout"),
    path("account/", views.account, name="account"),
    path("apply/", views.apply_index, name="apply_index"),
    path("apply/d/<str:token>/", views.draft, name="draft"),
    path("apply/d/<str:token>/discard/", views.discard_draft, name="discard"),
    path("apply/files/<str:token>/delete/", views.delete_file, name="delete_file"),
    path("apply/<str:item_code>/", views.apply, name="apply"),
    path("files/<str:token>/", views.download, name="download"),
    path("my/", views.my, name="my"),
    path("my/<str:case_no>/", views.my_case, name="my_case"),
    path("query/", views.query, name="query"),
    path("disclosure/", views.disclosure, name="disclosure"),
]
