"""Pages of the contingency app, one module per feature (routed by contingency.urls), on the core's page framework
(`financeplanner.views.generic`): each feature's views declare only their model, queryset, FilterSet, form, service
and table."""

#: Rows a contingency list shows a page.
PAGE_SIZE = 50
