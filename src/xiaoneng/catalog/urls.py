from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("", views.index, name="index"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("versions/<int:pk>/publish/", views.version_publish, name="version_publish"),
    path("versions/<int:pk>/new-draft/", views.version_new_draft, name="version_new_draft"),
    path("versions/<int:pk>/discard/", views.version_discard, name="version_discard"),
    path("import/", views.import_items, name="import"),
    path("import/report/", views.import_report, name="import_report"),
    path("import/report.xlsx", views.import_report_download, name="import_report_download"),
    path("template.xlsx", views.template_download, name="template"),
    path("export.xlsx", views.export, name="export"),
]
