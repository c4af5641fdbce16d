"""Pages of channels, counterparties and ratings. Names by the one convention: <model>-list/-detail/-add/-edit."""

from django.urls import path

from .views import channels, counterparties, ratings

app_name = "channels"

urlpatterns = [
    path("channels/", channels.ChannelListView.as_view(), name="channel-list"),
    path("channels/new/", channels.ChannelFormView.as_view(), name="channel-add"),
    path("channels/<int:pk>/", channels.ChannelDetailView.as_view(), name="channel-detail"),
    path("channels/<int:pk>/edit/", channels.ChannelFormView.as_view(), name="channel-edit"),
    path("channels/<int:pk>/draw/", channels.ChannelDrawView.as_view(), name="channel-draw"),
    path("channels/<int:pk>/repay/", channels.ChannelRepayView.as_view(), name="channel-repay"),
    path("channels/<int:pk>/lender-action/", channels.ChannelEventView.as_view(), name="channel-event"),
    path("counterparties/", counterparties.CounterpartyListView.as_view(), name="counterparty-list"),
    path("counterparties/new/", counterparties.CounterpartyFormView.as_view(), name="counterparty-add"),
    path("counterparties/<int:pk>/", counterparties.CounterpartyDetailView.as_view(), name="counterparty-detail"),
    path("counterparties/<int:pk>/edit/", counterparties.CounterpartyFormView.as_view(), name="counterparty-edit"),
    path(
        "counterparties/<int:pk>/assessments/new/",
        ratings.CounterpartyAssessmentFormView.as_view(),
        name="assessment-add",
    ),
    path("own-rating/", ratings.OwnRatingView.as_view(), name="own-rating"),
    path("own-rating/assessments/new/", ratings.OwnAssessmentFormView.as_view(), name="own-assessment-add"),
    path("altman/", ratings.AltmanView.as_view(), name="altman"),
]
