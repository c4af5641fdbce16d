"""Pages of funding channels, counterparties and credit assessments. Thin: parse, call a service, render.

Every view stands on CompanyViewMixin: querysets are the company's own (another company's object is a 404), and
views that change data name the role they need (analyst for edits, treasurer for lender actions).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import CreateView, DetailView, FormView, ListView, UpdateView
from django.views.generic.detail import SingleObjectMixin

from financeplanner import charts
from financeplanner.choices import Role
from financeplanner.forms import add_service_errors
from financeplanner.history import history_for
from financeplanner.labels import FIELD_LABELS
from financeplanner.services import tenant_object_save
from financeplanner.views import FilteredListMixin, ServiceFormMixin
from financeplanner.web import CompanyViewMixin, can

from . import ratings, selectors, services, watch
from .choices import Outlook
from .filtersets import CounterpartyFilterSet, FundingChannelFilterSet
from .forms import (
    AltmanForm,
    AssessmentForm,
    ChannelEventForm,
    CounterpartyForm,
    FundingChannelForm,
    MoneyMovementForm,
    TriggerForm,
    TriggerFormSet,
    trigger_initial,
)
from .models import ChannelEvent, Counterparty, CreditAssessment, FundingChannel, LedgerEntry, LenderTrigger

LEDGER_ROWS = 50


def rating_chart(assessments: list[CreditAssessment], title: str) -> str:
    """The rating path of a list of assessments (skipping any off the master scale)."""
    points = []
    for assessment in assessments:
        try:
            points.append((assessment.as_of, ratings.rank_of(assessment.rating)))
        except ValueError:
            continue
    return mark_safe(  # noqa: S308 — matplotlib's escaped SVG (financeplanner.charts)
        charts.rating_history_svg(
            [day for day, _rank in points],
            [rank for _day, rank in points],
            ratings.MASTER_SYMBOLS,
            title,
            empty_message=_("No assessments yet"),
        )
    )


# -- funding channels -------------------------------------------------------------------------------------------


class ChannelListView(FilteredListMixin, CompanyViewMixin, ListView):
    model = FundingChannel
    queryset = FundingChannel.objects.select_related("counterparty")
    filterset_class = FundingChannelFilterSet
    template_name = "channels_app/channel_list.html"
    partial_template_name = "channels_app/_channel_results.html"
    context_object_name = "channels"
    filter_labels = {
        "name": gettext_lazy("Name contains"),
        "counterparty": FIELD_LABELS["counterparty"],
        "channel_type": FIELD_LABELS["channel_type"],
        "status": FIELD_LABELS["status"],
        "currency": FIELD_LABELS["currency"],
        "committed": FIELD_LABELS["committed"],
        "maturity_before": gettext_lazy("Matures on or before"),
    }
    sort_fields = {
        "name": "name",
        "-name": "-name",
        "limit": "limit",
        "-limit": "-limit",
        "drawn": "drawn",
        "-drawn": "-drawn",
        "maturity": "maturity_date",
        "-maturity": "-maturity_date",
    }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The closest trigger of each line on the page, from the one trigger watch of the company.
        closest = watch.closest_by_channel(watch.trigger_watch(company=self.request.company))
        for channel in context["channels"]:
            channel.closest_trigger = closest.get(channel.pk)
        return context


class ChannelDetailView(CompanyViewMixin, DetailView):
    model = FundingChannel
    queryset = FundingChannel.objects.select_related("counterparty").prefetch_related(
        Prefetch("triggers", queryset=LenderTrigger.objects.order_by("id"))
    )
    template_name = "channels_app/channel_detail.html"
    context_object_name = "channel"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        channel: FundingChannel = self.object
        company = self.request.company
        context["schedule"] = selectors.channel_schedule(channel=channel)
        context["ledger"] = list(channel.ledger.select_related("created_by")[:LEDGER_ROWS])
        context["ledger_count"] = channel.ledger.count()
        context["ledger_rows_shown"] = LEDGER_ROWS
        context["events"] = list(channel.events.select_related("created_by"))
        context["assessments"] = list(
            CreditAssessment.objects.for_company(company).filter(counterparty=channel.counterparty)[:10]
        )
        context["watch"] = [row for row in watch.trigger_watch(company=company) if row.channel == channel.pk]
        context["history"] = history_for(
            channel,
            ChannelEvent.objects.filter(channel=channel),
            LedgerEntry.objects.filter(channel=channel),
            LenderTrigger.objects.filter(channel=channel),
        )
        return context


class ChannelFormMixin(ServiceFormMixin):
    """Create or edit a channel with its lender triggers (a formset); the service validates the whole."""

    model = FundingChannel
    form_class = FundingChannelForm
    template_name = "channels_app/channel_form.html"
    required_role = Role.ANALYST
    service_error_elsewhere = ("triggers", *TriggerForm.base_fields)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["company"] = self.request.company
        return kwargs

    def get_formset(self) -> TriggerFormSet:
        if not hasattr(self, "formset"):
            initial = trigger_initial(self.object) if self.object else None
            data = self.request.POST if self.request.method == "POST" else None
            self.formset = TriggerFormSet(data, prefix="triggers", initial=initial)
        return self.formset

    def post(self, request, *args, **kwargs):
        self.object = self.get_initial_object()
        form = self.get_form()
        formset = self.get_formset()
        if form.is_valid() and formset.is_valid():
            return self.form_valid(form)
        return self.form_invalid(form)

    def get_initial_object(self) -> FundingChannel | None:
        return None

    def triggers(self) -> list[dict[str, Any]]:
        return [spec for form in self.get_formset().forms if (spec := form.as_spec())]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["formset"] = self.get_formset()
        return context

    def get_success_url(self) -> str:
        return reverse("channels:channel-detail", args=[self.result.pk])


class ChannelCreateView(ChannelFormMixin, CompanyViewMixin, CreateView):
    success_message = gettext_lazy("Channel saved.")

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        counterparty = self.request.GET.get("counterparty")
        if counterparty and counterparty.isdigit():
            initial["counterparty"] = counterparty
        return initial

    def perform(self, form) -> FundingChannel:
        return services.channel_create(
            company=self.request.company, by=self.request.user, triggers=self.triggers(), **form.service_fields()
        )


class ChannelUpdateView(ChannelFormMixin, CompanyViewMixin, UpdateView):
    queryset = FundingChannel.objects.prefetch_related(
        Prefetch("triggers", queryset=LenderTrigger.objects.order_by("id"))
    )
    context_object_name = "channel"
    success_message = gettext_lazy("Channel saved.")

    def get_initial_object(self) -> FundingChannel:
        return self.get_object()

    def perform(self, form) -> FundingChannel:
        return services.channel_update(
            channel=self.object, by=self.request.user, triggers=self.triggers(), **form.service_fields()
        )


class ChannelActionView(ServiceFormMixin, CompanyViewMixin, SingleObjectMixin, FormView):
    """A form about one channel (draw, repay, lender action): the channel comes from the company's own."""

    model = FundingChannel
    context_object_name = "channel"
    required_role = Role.ANALYST

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def get_success_url(self) -> str:
        return reverse("channels:channel-detail", args=[self.object.pk])


class ChannelDrawView(ChannelActionView):
    form_class = MoneyMovementForm
    template_name = "channels_app/channel_money_form.html"
    success_message = gettext_lazy("Draw recorded.")
    extra_context = {"movement": "draw", "title": gettext_lazy("Draw on the line")}

    def perform(self, form) -> LedgerEntry:
        return services.channel_draw(channel=self.object, by=self.request.user, **form.cleaned_data)


class ChannelRepayView(ChannelActionView):
    form_class = MoneyMovementForm
    template_name = "channels_app/channel_money_form.html"
    success_message = gettext_lazy("Repayment recorded.")
    extra_context = {"movement": "repay", "title": gettext_lazy("Repay principal")}

    def perform(self, form) -> LedgerEntry:
        return services.channel_repay(channel=self.object, by=self.request.user, **form.cleaned_data)


class ChannelEventView(ChannelActionView):
    """Record a lender's action — reduce, freeze, unfreeze, close, reopen, call — with the reason (treasurer)."""

    form_class = ChannelEventForm
    template_name = "channels_app/channel_event_form.html"
    required_role = Role.TREASURER
    success_message = gettext_lazy("Lender action recorded.")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["channel"] = self.object
        return kwargs

    def perform(self, form) -> ChannelEvent:
        return services.channel_event_record(channel=self.object, by=self.request.user, **form.cleaned_data)


# -- counterparties and credit assessments ----------------------------------------------------------------------


def latest_assessment(field: str) -> Subquery:
    latest = CreditAssessment.objects.filter(counterparty=OuterRef("pk")).order_by("-as_of", "-id")
    return Subquery(latest.values(field)[:1])


class CounterpartyListView(FilteredListMixin, CompanyViewMixin, ListView):
    model = Counterparty
    queryset = Counterparty.objects.annotate(
        current_rating=latest_assessment("rating"),
        current_outlook=latest_assessment("outlook"),
        rated_on=latest_assessment("as_of"),
        channel_count=Count("channels"),
    ).order_by("name")
    filterset_class = CounterpartyFilterSet
    template_name = "channels_app/counterparty_list.html"
    partial_template_name = "channels_app/_counterparty_results.html"
    context_object_name = "counterparties"
    filter_labels = {
        "name": gettext_lazy("Name contains"),
        "kind": FIELD_LABELS["kind"],
        "country": FIELD_LABELS["country"],
    }
    sort_fields = {"name": "name", "-name": "-name", "kind": "kind", "-kind": "-kind"}
    extra_context = {"outlooks": dict(Outlook.choices)}


class CounterpartyDetailView(CompanyViewMixin, DetailView):
    model = Counterparty
    template_name = "channels_app/counterparty_detail.html"
    context_object_name = "counterparty"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counterparty: Counterparty = self.object
        assessments = list(CreditAssessment.objects.for_company(self.request.company).filter(counterparty=counterparty))
        context["assessments"] = assessments
        context["rating_chart"] = rating_chart(assessments, _("Rating history of %(name)s") % {"name": counterparty})
        context["channels"] = list(
            FundingChannel.objects.for_company(self.request.company).filter(counterparty=counterparty)
        )
        context["history"] = history_for(counterparty, CreditAssessment.objects.filter(counterparty=counterparty))
        return context


class CounterpartyFormMixin(ServiceFormMixin):
    model = Counterparty
    form_class = CounterpartyForm
    template_name = "channels_app/counterparty_form.html"
    required_role = Role.ANALYST
    success_message = gettext_lazy("Counterparty saved.")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["company"] = self.request.company
        return kwargs

    def perform(self, form) -> Counterparty:
        return tenant_object_save(obj=form.instance, company=self.request.company, fields=form.cleaned_data)

    def get_success_url(self) -> str:
        return reverse("channels:counterparty-detail", args=[self.result.pk])


class CounterpartyCreateView(CounterpartyFormMixin, CompanyViewMixin, CreateView):
    pass


class CounterpartyUpdateView(CounterpartyFormMixin, CompanyViewMixin, UpdateView):
    context_object_name = "counterparty"


class AssessmentCreateMixin(ServiceFormMixin):
    form_class = AssessmentForm
    template_name = "channels_app/assessment_form.html"
    required_role = Role.ANALYST
    success_message = gettext_lazy("Assessment recorded.")

    def subject(self) -> Counterparty | None:
        return None

    def perform(self, form) -> CreditAssessment:
        return services.assessment_create(
            company=self.request.company, by=self.request.user, counterparty=self.subject(), **form.service_fields()
        )


class CounterpartyAssessmentCreateView(AssessmentCreateMixin, CompanyViewMixin, SingleObjectMixin, FormView):
    model = Counterparty
    context_object_name = "counterparty"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def subject(self) -> Counterparty:
        return self.object

    def get_success_url(self) -> str:
        return reverse("channels:counterparty-detail", args=[self.object.pk])


class OwnAssessmentCreateView(AssessmentCreateMixin, CompanyViewMixin, FormView):
    def get_success_url(self) -> str:
        return reverse("channels:own-rating")


class OwnRatingView(CompanyViewMixin, ListView):
    """Our own company's credit standing over time: the lenders' risk control watches it."""

    model = CreditAssessment
    template_name = "channels_app/own_rating.html"
    context_object_name = "assessments"

    def get_queryset(self):
        return super().get_queryset().filter(counterparty__isnull=True)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        assessments = list(context["assessments"])
        context["rating_chart"] = rating_chart(assessments, _("Our rating history"))
        context["history"] = history_for(
            CreditAssessment.objects.for_company(self.request.company).filter(counterparty__isnull=True)
        )
        return context


class AltmanView(CompanyViewMixin, FormView):
    """Altman Z / Z'' from entered financials; an analyst may record the result as a model-based assessment."""

    form_class = AltmanForm
    template_name = "channels_app/altman.html"
    extra_context = {
        "financial_fields": AltmanForm.FINANCIAL_FIELDS,
        "record_fields": AltmanForm.RECORD_FIELDS,
        "ratio_labels": AltmanForm.RATIO_LABELS,
    }

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["company"] = self.request.company
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        counterparty = self.request.GET.get("counterparty")
        if counterparty and counterparty.isdigit():
            initial["counterparty"] = counterparty
        return initial

    def form_valid(self, form):
        if self.request.POST.get("action") != "save":
            return self.render_to_response(self.get_context_data(form=form, result=form.result))
        if not can(self.request, Role.ANALYST):
            raise PermissionDenied(_("Your role in this company does not allow this."))
        rating = form.rating_to_record()
        if not rating:
            form.add_error("rating", _("Z has no implied rating: choose the rating to record."))
            return self.render_to_response(self.get_context_data(form=form, result=form.result))
        counterparty = form.cleaned_data.get("counterparty")
        try:
            services.assessment_create(
                company=self.request.company,
                by=self.request.user,
                counterparty=counterparty,
                as_of=form.cleaned_data.get("as_of") or timezone.localdate(),
                source="model",
                rating=rating,
                score=form.result.score,
                inputs=form.assessment_inputs(),
                note=form.cleaned_data.get("note", ""),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.render_to_response(self.get_context_data(form=form, result=form.result))
        messages.success(self.request, _("Altman assessment recorded."))
        if counterparty is not None:
            return HttpResponseRedirect(reverse("channels:counterparty-detail", args=[counterparty.pk]))
        return HttpResponseRedirect(reverse("channels:own-rating"))
