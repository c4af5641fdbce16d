"""Pages of channels, counterparties and ratings; names by the one convention (<model>-list, -detail, -add, -edit)."""

from django.urls import path

from financeplanner.views.generic import object_action_path, object_paths

from .views.channels import (
    ChannelDetailView,
    ChannelDrawView,
    ChannelEventView,
    ChannelFormView,
    ChannelListView,
    ChannelRepayView,
)
from .views.corrections import (
    ChannelArchiveView,
    ChannelDeleteView,
    ChannelRestoreView,
    CounterpartyArchiveView,
    CounterpartyDeleteView,
    CounterpartyRestoreView,
    LedgerReverseView,
)
from .views.counterparties import CounterpartyDetailView, CounterpartyFormView, CounterpartyListView
from .views.ratings import AltmanView, CounterpartyAssessmentFormView, OwnAssessmentFormView, OwnRatingView

app_name = "channels"

urlpatterns = [
    *object_paths("channels/", ChannelListView, ChannelDetailView, ChannelFormView, add_path="new/"),
    path("channels/<int:pk>/draw/", ChannelDrawView.as_view(), name="channel-draw"),
    path("channels/<int:pk>/repay/", ChannelRepayView.as_view(), name="channel-repay"),
    path("channels/<int:pk>/lender-action/", ChannelEventView.as_view(), name="channel-event"),
    *object_paths("channels/", ChannelDeleteView),
    object_action_path("channels/", ChannelArchiveView, "archive"),
    object_action_path("channels/", ChannelRestoreView, "restore"),
    object_action_path("ledger/", LedgerReverseView, "reverse"),
    *object_paths(
        "counterparties/", CounterpartyListView, CounterpartyDetailView, CounterpartyFormView, add_path="new/"
    ),
    *object_paths("counterparties/", CounterpartyDeleteView),
    object_action_path("counterparties/", CounterpartyArchiveView, "archive"),
    object_action_path("counterparties/", CounterpartyRestoreView, "restore"),
    path("counterparties/<int:pk>/assessments/new/", CounterpartyAssessmentFormView.as_view(), name="assessment-add"),
    path("own-rating/", OwnRatingView.as_view(), name="own-rating"),
    path("own-rating/assessments/new/", OwnAssessmentFormView.as_view(), name="own-assessment-add"),
    path("altman/", AltmanView.as_view(), name="altman"),
]
