"""Pages of channels, counterparties and ratings; names by the one convention (<model>-list, -detail, -add, -edit)."""

from django.urls import path

from financeplanner.views.generic import object_paths

from .views import channels, counterparties, ratings

app_name = "channels"

urlpatterns = [
    *object_paths(
        "channel",
        "channels/",
        list_view=channels.ChannelListView,
        detail_view=channels.ChannelDetailView,
        form_view=channels.ChannelFormView,
        add_path="new/",
    ),
    path("channels/<int:pk>/draw/", channels.ChannelDrawView.as_view(), name="channel-draw"),
    path("channels/<int:pk>/repay/", channels.ChannelRepayView.as_view(), name="channel-repay"),
    path("channels/<int:pk>/lender-action/", channels.ChannelEventView.as_view(), name="channel-event"),
    *object_paths(
        "counterparty",
        "counterparties/",
        list_view=counterparties.CounterpartyListView,
        detail_view=counterparties.CounterpartyDetailView,
        form_view=counterparties.CounterpartyFormView,
        add_path="new/",
    ),
    path(
        "counterparties/<int:pk>/assessments/new/",
        ratings.CounterpartyAssessmentFormView.as_view(),
        name="assessment-add",
    ),
    path("own-rating/", ratings.OwnRatingView.as_view(), name="own-rating"),
    path("own-rating/assessments/new/", ratings.OwnAssessmentFormView.as_view(), name="own-assessment-add"),
    path("altman/", ratings.AltmanView.as_view(), name="altman"),
]
