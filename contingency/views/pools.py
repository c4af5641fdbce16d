"""Pages of backup liquidity pools: list, detail, add/edit."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from financeplanner.choices import Role
from financeplanner.labels import field_label
from financeplanner.views.generic import (
    ObjectDetailView,
    ObjectFormView,
    ObjectListView,
    PageAction,
    correction_actions,
)

from ..filtersets import LiquidityPoolFilterSet
from ..forms import LiquidityPoolForm
from ..models import LiquidityPool, PlanStep
from . import PAGE_SIZE


class PoolViews:
    model = LiquidityPool
    url_base = "contingency:pool"
    list_title = _("Liquidity pools")


class PoolListView(PoolViews, ObjectListView):
    queryset = LiquidityPool.objects.select_related("channel")
    filterset_class = LiquidityPoolFilterSet
    filter_labels = {
        "kind": field_label(LiquidityPool, "kind"),
        "currency": field_label(LiquidityPool, "currency"),
        "channel": field_label(LiquidityPool, "channel"),
    }
    results_template_name = "contingency/pool_table.html"
    archive_filter = "archived"
    export_dataset = "pools"
    paginate_by = PAGE_SIZE
    lead = _(
        "Backup liquidity: cash, deposits, funds, committed backup lines, receivables that can be financed and "
        "shareholder support."
    )
    add_label = _("Add a pool")
    empty_message = _("No liquidity pools yet.")


class PoolDetailView(PoolViews, ObjectDetailView):
    queryset = LiquidityPool.objects.select_related("channel")
    template_name = "contingency/pool_detail.html"
    actions = (
        PageAction(_("Edit"), "edit", Role.ANALYST, with_object=True),
        *correction_actions(),
    )  # fmt: skip

    def get_lead(self) -> str:
        if self.object.archived_at is None:
            return ""
        return _("Archived: it gives no liquidity in drills and is left out of the lists until it is restored.")

    def get_context_data(self, **kwargs):
        steps = PlanStep.objects.for_company(self.request.company).filter(pool=self.object).select_related("plan")
        return super().get_context_data(plan_steps=steps, **kwargs)


class PoolFormView(PoolViews, ObjectFormView):
    form_class = LiquidityPoolForm
    add_title = _("Add a pool")
