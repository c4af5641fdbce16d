"""The dashboard page: the company's funding and liquidity, its latest drills and open alerts at a glance
(contingency.dashboard) with its charts."""

from __future__ import annotations

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from financeplanner import charts
from financeplanner.views.base import CompanyViewMixin

from ..dashboard import dashboard_for


class DashboardView(CompanyViewMixin, TemplateView):
    template_name = "contingency/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        board = dashboard_for(self.request.company)
        context["board"] = board
        context.update(self._charts(board))
        return context

    def _charts(self, board) -> dict[str, str]:
        empty = _("Nothing drawn yet")
        funding = board.funding
        by_type = funding.by_type if funding else []
        by_lender = funding.by_lender if funding else []
        return {
            "chart_by_type": mark_safe(  # noqa: S308 — matplotlib's escaped SVG (financeplanner.charts)
                charts.bar_chart_svg(
                    [row["channel_type_label"] for row in by_type],
                    [row["drawn"] for row in by_type],
                    _("Drawn by channel type"),
                    empty_message=empty,
                )
            ),
            "chart_by_lender": mark_safe(  # noqa: S308
                charts.bar_chart_svg(
                    [row["lender"] for row in by_lender],
                    [row["drawn"] for row in by_lender],
                    _("Drawn by lender"),
                    empty_message=empty,
                )
            ),
            "chart_ladder": mark_safe(  # noqa: S308
                charts.ladder_chart_svg(
                    [str(bucket["label"]) for bucket in board.ladder],
                    [bucket["drawn"] for bucket in board.ladder],
                    _("Drawn by time to maturity"),
                    empty_message=empty,
                )
            ),
        }
