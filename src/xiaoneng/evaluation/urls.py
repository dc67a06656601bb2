from django.urls import path

from . import views

app_name = "evaluation"
urlpatterns = [
    path("", views.home, name="home"),
    path("ranking/", views.ranking, name="ranking"),
    path("ranking/export.xlsx", views.export_ranking, name="export_ranking"),
    path("report/", views.report, name="report"),
    path("recompute/", views.recompute, name="recompute"),
    path("publish/", views.publish, name="publish"),
    path("d/<str:code>/adjust/", views.adjust, name="adjust"),
    path("d/<str:code>/", views.department, name="department"),
    path("d/<str:code>/export.xlsx", views.export_department, name="export_department"),
    path("d/<str:code>/<str:key>/facts/<str:category>/", views.facts, name="category_facts"),
    path("d/<str:code>/<str:key>/facts/<str:category>/<str:rule>/", views.facts, name="facts"),
]
