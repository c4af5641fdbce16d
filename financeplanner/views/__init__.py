"""The core's pages and the page framework every app's pages stand on.

* `base` — `CompanyViewMixin` (tenancy and roles of every page), `can`, and the `company_context` processor.
* `generic` — the generic views: ObjectListView, ObjectDetailView, ObjectFormView, FormsetEditView,
  ObjectDeleteView, and `object_paths()` for their routes (see its docstring for how to use them).
* `account` — choose a company, invitations. (The dashboard shows contingency's data: contingency.views.dashboard.)
"""
