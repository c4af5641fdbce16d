from django.contrib import admin

from .models import ChannelEvent, Counterparty, CreditAssessment, FundingChannel, LedgerEntry, LenderTrigger


@admin.register(Counterparty)
class CounterpartyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "company"]
    list_filter = ["kind"]
    list_select_related = ["company"]
    search_fields = ["name"]


@admin.register(CreditAssessment)
class CreditAssessmentAdmin(admin.ModelAdmin):
    list_display = ["counterparty", "company", "as_of", "source", "rating", "pd_1y", "outlook"]
    list_filter = ["source", "rating"]
    list_select_related = ["counterparty", "company"]


class LenderTriggerInline(admin.TabularInline):
    model = LenderTrigger
    extra = 0


@admin.register(FundingChannel)
class FundingChannelAdmin(admin.ModelAdmin):
    """Read status, limit and drawn here; they change only through lender events and the ledger."""

    list_display = ["name", "company", "counterparty", "channel_type", "limit", "drawn", "status", "maturity_date"]
    list_filter = ["channel_type", "status"]
    list_select_related = ["company", "counterparty"]
    search_fields = ["name"]
    readonly_fields = ["drawn", "status", "excess_due", "excess_due_date"]
    inlines = [LenderTriggerInline]


@admin.register(ChannelEvent)
class ChannelEventAdmin(admin.ModelAdmin):
    list_display = ["channel", "kind", "date", "old_limit", "new_limit", "new_status", "created_by"]
    list_select_related = ["channel", "created_by"]
    list_filter = ["kind"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # history is never rewritten


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ["channel", "date", "kind", "amount", "reference", "created_by"]
    list_select_related = ["channel", "created_by"]
    list_filter = ["kind"]
    date_hierarchy = "date"

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the ledger is corrected by new entries, never edited
