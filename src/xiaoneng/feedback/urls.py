from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("consultations/<int:pk>/", views.consultation_detail, name="consultation"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("ratings/<int:pk>/", views.rating_detail, name="rating"),
    path("stats/", views.stats, name="stats"),
]
