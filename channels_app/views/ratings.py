"""Credit ratings: assessments of a lender or of our own company, our rating's history, the Altman calculator."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from financeplanner import charts
from financeplanner.choices import Role
from financeplanner.forms import apply_service_errors
from financeplanner.history import history_for
from financeplanner.views.base import CompanyViewMixin, can
from financeplanner.views.generic import ObjectFormView, ObjectMixin, PageAction

from .. import ratings, services
from ..forms import AltmanForm, AssessmentForm
from ..models import Counterparty, CreditAssessment


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
            empty_message=gettext("No assessments yet"),
        )
    )


ASSESSMENT_LEAD = _(
    "Give a rating on the master scale, or an agency and its grade: S&P, Moody's, Fitch and the Chinese agencies "
    "map to the master scale and its one-year default probability."
)


class AssessmentFormView(ObjectFormView):
    """Record a credit assessment: of the counterparty in the URL, or (no pk) of our own company."""

    form_class = AssessmentForm
    form_takes_company = False
    lead = ASSESSMENT_LEAD
    submit_label = _("Record the assessment")
    success_message = _("Assessment recorded.")

    def save(self, form) -> CreditAssessment:
        return services.assessment_create(
            company=self.request.company, by=self.request.user, counterparty=self.object, **form.service_fields()
        )


class CounterpartyAssessmentFormView(AssessmentFormView):
    model = Counterparty
    url_base = "channels:counterparty"
    list_title = _("Counterparties")
    context_object_name = "counterparty"
    edit_title = _("Credit assessment of %(name)s")


class OwnAssessmentFormView(AssessmentFormView):
    url_names = {"list": "channels:own-rating"}
    list_title = _("Our own rating")
    add_title = _("Credit assessment of our own company")
    success_action = "list"


class OwnRatingView(ObjectMixin, CompanyViewMixin, TemplateView):
    """Our own company's credit standing over time: the lenders' risk control watches it."""

    template_name = "channels_app/own_rating.html"
    url_names = {"list": "channels:counterparty-list"}
    list_title = _("Counterparties")
    lead = _("Lenders' risk control watches our rating: a downgrade can close or freeze lines.")
    actions = (
        PageAction(_("Add assessment"), "channels:own-assessment-add", Role.ANALYST),
        PageAction(_("Altman calculator"), "channels:altman", Role.ANALYST, "quiet"),
    )

    def get_title(self) -> str:
        return gettext("Our own rating")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        own = CreditAssessment.objects.for_company(self.request.company).filter(counterparty__isnull=True)
        context["assessments"] = assessments = list(own)
        context["rating_chart"] = rating_chart(assessments, gettext("Our rating history"))
        context["history"] = history_for(own)
        return context


class AltmanView(ObjectFormView):
    """Altman Z / Z'' from entered financials; an analyst may record the result as a model-based assessment."""

    form_class = AltmanForm
    required_role = Role.VIEWER
    template_name = "channels_app/altman.html"
    url_names = {"list": "channels:counterparty-list"}
    list_title = _("Counterparties")
    add_title = _("Altman Z-score calculator")
    lead = _(
        "Z (1968) for listed manufacturers: distress below 1.81, safe above 2.99. Z'' for non-manufacturers and "
        "emerging markets: distress below 1.1, safe above 2.6; it also implies an approximate rating."
    )
    extra_context = {
        "financial_fields": AltmanForm.FINANCIAL_FIELDS,
        "record_fields": AltmanForm.RECORD_FIELDS,
        "ratio_labels": AltmanForm.RATIO_LABELS,
    }

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
            raise PermissionDenied(gettext("Your role in this company does not allow this."))
        rating = form.rating_to_record()
        if not rating:
            form.add_error("rating", gettext("Z has no implied rating: choose the rating to record."))
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
            apply_service_errors(form, exc)
            return self.render_to_response(self.get_context_data(form=form, result=form.result))
        messages.success(self.request, gettext("Altman assessment recorded."))
        if counterparty is not None:
            return HttpResponseRedirect(reverse("channels:counterparty-detail", args=[counterparty.pk]))
        return HttpResponseRedirect(reverse("channels:own-rating"))
