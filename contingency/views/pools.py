"""Pages of backup liquidity pools: list, detail, add/edit."""

from __future__ import annotations

from django.urls import reverse

from financeplanner.labels import FIELD_LABELS
from financeplanner.services import tenant_object_save

from ..filtersets import LiquidityPoolFilterSet
from ..forms import LiquidityPoolForm
from ..models import LiquidityPool, PlanStep
from .base import CompanyDetailView, CompanyFormView, CompanyListView


class PoolListView(CompanyListView):
    model = LiquidityPool
    filterset_class = LiquidityPoolFilterSet
    template_name = "contingency/pool_list.html"
    filter_labels = {
        "kind": FIELD_LABELS["kind"],
        "currency": FIELD_LABELS["currency"],
        "channel": FIELD_LABELS["channel"],
    }

    def get_queryset(self):
        return super().get_queryset().select_related("channel")


class PoolDetailView(CompanyDetailView):
    model = LiquidityPool
    template_name = "contingency/pool_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("channel")

    def get_context_data(self, **kwargs):
        steps = PlanStep.objects.for_company(self.request.company).filter(pool=self.object).select_related("plan")
        return super().get_context_data(plan_steps=steps, **kwargs)


class PoolFormView(CompanyFormView):
    model = LiquidityPool
    form_class = LiquidityPoolForm
    template_name = "contingency/pool_form.html"

    def save(self, form):
        return tenant_object_save(
            obj=self.object or LiquidityPool(), company=self.request.company, fields=form.cleaned_data
        )

    def get_success_url_for(self, saved) -> str:
        return reverse("contingency:pool-detail", args=[saved.pk])
