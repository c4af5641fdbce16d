"""Moved to financeplanner.views.base; this name stays only while the contingency pages move onto the framework."""

from financeplanner.views.base import CompanyViewMixin, can, company_context

__all__ = ["CompanyViewMixin", "can", "company_context"]
