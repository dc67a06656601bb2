"""Read-only admin views of feedback (changes go through the staff pages and services, never the admin)."""

from django.contrib import admin

from xiaoneng.core.admin import ReadOnlyAdmin

from .models import Complaint, ComplaintAttachment, Consultation, FeedbackTransition, Rating


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdmin):
    list_display = ("receipt_no", "department", "status", "received_at", "reply_due", "replied_at", "is_public")
    list_filter = ("status", "is_public")
    search_fields = ("receipt_no",)
    exclude = ("phone_cipher",)


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = ("receipt_no", "type", "target", "department", "status", "received_at", "accept_due")
    list_filter = ("type", "status")
    search_fields = ("receipt_no", "case_no_given")
    exclude = ("phone_cipher",)


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ("receipt_no", "case", "channel", "level", "is_bad", "stage", "removed", "rated_at")
    list_filter = ("channel", "level", "is_bad", "removed")
    search_fields = ("receipt_no", "case__case_no")
    exclude = ("phone_cipher",)


admin.site.register(ComplaintAttachment, ReadOnlyAdmin)
admin.site.register(FeedbackTransition, ReadOnlyAdmin)
