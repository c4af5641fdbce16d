"""Correcting mistakes on the contingency set-up: delete pools, cash-flow lines, plans and scenarios (refused, with
the reason, where a drill or a plan depends on them: archive instead), archive and restore. Each page calls one
service (contingency.services), which also decides what is refused."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from financeplanner.views.generic import ObjectActionView, ObjectDeleteView

from .. import services
from ..choices import PlanStatus
from .cashflows import CashFlowViews
from .plans import PlanViews
from .pools import PoolViews
from .scenarios import ScenarioViews


class PoolDeleteView(PoolViews, ObjectDeleteView):
    lead = _("Only a pool no plan step draws on can be deleted; otherwise archive it once its plans are retired.")

    def delete(self, obj) -> None:
        services.pool_delete(pool=obj, by=self.request.user)


class PoolArchiveView(PoolViews, ObjectActionView):
    success_message = _("Archived %(name)s: it gives no liquidity in drills until it is restored.")

    def act(self, obj):
        return services.pool_archive(pool=obj, by=self.request.user)


class PoolRestoreView(PoolViews, ObjectActionView):
    success_message = _("Restored %(name)s.")

    def act(self, obj):
        return services.pool_restore(pool=obj, by=self.request.user)


class CashFlowDeleteView(CashFlowViews, ObjectDeleteView):
    lead = _("The line leaves the forecast; drills already run keep the forecast they used.")

    def delete(self, obj) -> None:
        services.cashflow_delete(line=obj, by=self.request.user)


class PlanDeleteView(PlanViews, ObjectDeleteView):
    lead = _("Only a plan that was never drilled nor scheduled can be deleted; otherwise retire it.")
    archive_label = _("Retire instead")

    def archivable(self, obj) -> bool:
        return obj.status != PlanStatus.RETIRED

    def delete(self, obj) -> None:
        services.plan_delete(plan=obj, by=self.request.user)


class PlanArchiveView(PlanViews, ObjectActionView):
    success_message = _("Retired %(name)s: no new drill runs it; its drills stay readable.")

    def act(self, obj):
        return services.plan_archive(plan=obj, by=self.request.user)


class PlanRestoreView(PlanViews, ObjectActionView):
    success_message = _("Restored %(name)s as a draft: it needs a fresh approval.")

    def act(self, obj):
        return services.plan_restore(plan=obj, by=self.request.user)


class ScenarioDeleteView(ScenarioViews, ObjectDeleteView):
    lead = _("Only a scenario that was never drilled nor scheduled can be deleted; otherwise archive it.")

    def delete(self, obj) -> None:
        services.scenario_delete(scenario=obj, by=self.request.user)


class ScenarioArchiveView(ScenarioViews, ObjectActionView):
    success_message = _("Archived %(name)s: no new drill runs it; its drills stay readable.")

    def act(self, obj):
        return services.scenario_archive(scenario=obj, by=self.request.user)


class ScenarioRestoreView(ScenarioViews, ObjectActionView):
    success_message = _("Restored %(name)s.")

    def act(self, obj):
        return services.scenario_restore(scenario=obj, by=self.request.user)
