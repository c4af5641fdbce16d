"""Pages of the contingency app, one module per feature (routed by contingency.urls)."""
