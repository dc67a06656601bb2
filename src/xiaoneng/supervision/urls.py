from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("", views.wall, name="home"),
    path("wall/", views.wall, name="wall"),
    path("wall/panels/", views.wall_panels, name="wall_panels"),
    path("alerts/", views.queue, name="queue"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("alerts/<int:pk>/act/", views.alert_action, name="alert_action"),
    path("cases/<int:pk>/", views.case_page, name="case"),
    path("orders/", views.orders, name="orders"),
    path("orders/new/", views.order_new, name="order_new"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/reply/", views.order_reply, name="order_reply"),
    path("orders/<int:pk>/close/", views.order_close, name="order_close"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notification_read, name="notifications_read"),
    path("notifications/<int:pk>/", views.open_notification, name="notification"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/badge/", views.badge, name="badge"),
]
