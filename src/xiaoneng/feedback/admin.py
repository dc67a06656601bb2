"""Read-only admin views of feedback (changes go through the staff pages and services, never the admin)."""

from django.contrib import admin

from .models import Complaint, ComplaintAttachment, Consultation, FeedbackTransition, Rating


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Consultation)
class ConsultationAdmin(ReadOnly):
    list_display = ("receipt_no", "department", "status", "received_at", "reply_due", "replied_at", "is_public")
    list_filter = ("status", "is_public")
    search_fields = ("receipt_no",)
    exclude = ("phone_cipher",)


@admin.register(Complaint)
class ComplaintAdmin(ReadOnly):
    list_display = ("receipt_no", "type", "target", "department", "status", "received_at", "accept_due")
    list_filter = ("type", "status")
    search_fields = ("receipt_no", "case_no_given")
    exclude = ("phone_cipher",)


@admin.register(Rating)
class RatingAdmin(ReadOnly):
    list_display = ("receipt_no", "case", "channel", "level", "is_bad", "stage", "removed", "rated_at")
    list_filter = ("channel", "level", "is_bad", "removed")
    search_fields = ("receipt_no", "case__case_no")
    exclude = ("phone_cipher",)


admin.site.register(ComplaintAttachment, ReadOnly)
admin.site.register(FeedbackTransition, ReadOnly)
