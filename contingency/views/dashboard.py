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
        by_type = board.funding.by_type if board.funding else []
        by_lender = board.funding.by_lender if board.funding else []
        return {
            "chart_by_type": _chart(charts.bar_chart_svg, by_type, "channel_type_label", _("Drawn by channel type")),
            "chart_by_lender": _chart(charts.bar_chart_svg, by_lender, "lender", _("Drawn by lender")),
            "chart_ladder": _chart(
                charts.ladder_chart_svg, board.ladder, "bucket", _("Principal falling due"), value="principal_due"
            ),
        }


def _chart(draw, rows: list[dict], label: str, title: str, *, value: str = "drawn") -> str:
    """An amount per row (by default what is drawn per channel type or lender; the principal falling due per maturity
    bucket), as one of financeplanner.charts' SVGs."""
    svg = draw(
        [str(row[label]) for row in rows], [row[value] for row in rows], title, empty_message=_("Nothing drawn yet")
    )
    return mark_safe(svg)  # noqa: S308 — matplotlib's escaped SVG (financeplanner.charts)
