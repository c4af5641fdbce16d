from django.contrib import admin

from .models import Company, FxRate, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "reporting_currency", "survival_horizon_days", "target_survival_probability"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "role"]
    list_filter = ["role"]
    list_select_related = ["user", "company"]


@admin.register(FxRate)
class FxRateAdmin(admin.ModelAdmin):
    list_display = ["company", "currency", "as_of", "rate"]
    list_select_related = ["company"]
