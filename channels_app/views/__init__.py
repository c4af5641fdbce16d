"""Pages of funding channels, counterparties and credit ratings, on the core's page framework.

Every view stands on `financeplanner.views.generic` (and so on CompanyViewMixin): querysets are the company's own
(another company's object is a 404), and views that change data name the role they need (analyst for edits,
treasurer for lender actions). One module per feature: `channels`, `counterparties`, `ratings`.
"""
