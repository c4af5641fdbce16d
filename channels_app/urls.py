from django.urls import path

from . import views

app_name = "channels"

urlpatterns = [
    path("channels/", views.ChannelListView.as_view(), name="channel-list"),
    path("channels/new/", views.ChannelCreateView.as_view(), name="channel-create"),
    path("channels/<int:pk>/", views.ChannelDetailView.as_view(), name="channel-detail"),
    path("channels/<int:pk>/edit/", views.ChannelUpdateView.as_view(), name="channel-update"),
    path("channels/<int:pk>/draw/", views.ChannelDrawView.as_view(), name="channel-draw"),
    path("channels/<int:pk>/repay/", views.ChannelRepayView.as_view(), name="channel-repay"),
    path("channels/<int:pk>/lender-action/", views.ChannelEventView.as_view(), name="channel-event"),
    path("counterparties/", views.CounterpartyListView.as_view(), name="counterparty-list"),
    path("counterparties/new/", views.CounterpartyCreateView.as_view(), name="counterparty-create"),
    path("counterparties/<int:pk>/", views.CounterpartyDetailView.as_view(), name="counterparty-detail"),
    path("counterparties/<int:pk>/edit/", views.CounterpartyUpdateView.as_view(), name="counterparty-update"),
    path(
        "counterparties/<int:pk>/assessments/new/",
        views.CounterpartyAssessmentCreateView.as_view(),
        name="assessment-create",
    ),
    path("own-rating/", views.OwnRatingView.as_view(), name="own-rating"),
    path("own-rating/assessments/new/", views.OwnAssessmentCreateView.as_view(), name="own-assessment-create"),
    path("altman/", views.AltmanView.as_view(), name="altman"),
]
