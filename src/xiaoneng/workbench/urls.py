from django.urls import path

from . import views

app_name = "workbench"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("done/", views.done, name="done"),
    path("list/", views.case_list, name="list"),
    path("register/", views.register, name="register"),
    path("register/materials/", views.materials_partial, name="materials"),
    path("instant/", views.instant, name="instant"),
    path("agent/", views.agent_list, name="agent"),
    path("agent/new/", views.agent_new, name="agent_new"),
    path("extensions/<int:pk>/decide/", views.extension_decide, name="extension_decide"),
    path("c/<str:case_no>/", views.case_detail, name="case"),
    path("c/<str:case_no>/print/<str:kind>/", views.print_notice, name="print"),
    path("c/<str:case_no>/<str:action>/", views.case_action, name="action"),
]
