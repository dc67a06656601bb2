from django.urls import path

from . import public_views as views

app_name = "feedback_public"
urlpatterns = [
    path("", views.index, name="index"),
    path("consult/", views.consult, name="consult"),
    path("complain/", views.complain, name="complain"),
    path("rate/", views.rate, name="rate"),
    path("receipt/<str:receipt_no>/", views.receipt, name="receipt"),
    path("lookup/", views.lookup, name="lookup"),
    path("qa/", views.qa, name="qa"),
    path("device/<int:window>/", views.device, name="device"),
]
