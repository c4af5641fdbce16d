"""The core's own pages: which company the session works in, and the signed-in user's invitations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from financeplanner import services
from financeplanner.models import Invitation, Membership
from financeplanner.tenancy import SESSION_KEY

from .base import safe_next_url


class ChooseCompanyView(LoginRequiredMixin, TemplateView):
    """Which company the session works in, for users who belong to several (financeplanner.tenancy.SESSION_KEY)."""

    template_name = "financeplanner/choose_company.html"
    extra_context = {"title": gettext_lazy("Choose a company"), "narrow": True}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["memberships"] = Membership.objects.filter(user=self.request.user).select_related("company")
        context["next"] = safe_next_url(self.request, self.request.GET.get("next"), "")
        context["current_slug"] = self.request.session.get(SESSION_KEY, "")
        return context

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        slug = request.POST.get("company", "")
        membership = Membership.objects.filter(user=request.user, company__slug=slug).select_related("company").first()
        if membership is None:
            messages.error(request, _("Choose one of your companies."))
            return redirect("choose-company")
        request.session[SESSION_KEY] = membership.company.slug
        messages.success(request, _("You are now working in %(company)s.") % {"company": membership.company.name})
        return HttpResponseRedirect(safe_next_url(request, request.POST.get("next"), reverse("dashboard")))


class InvitationsView(LoginRequiredMixin, TemplateView):
    """The signed-in user's pending invitations to join companies, each to accept or decline."""

    template_name = "financeplanner/invitations.html"
    extra_context = {"title": gettext_lazy("Invitations"), "narrow": True}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["invitations"] = Invitation.objects.filter(
            user=self.request.user, status=Invitation.Status.PENDING
        ).select_related("company", "invited_by")
        return context

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        pk, answer = request.POST.get("invitation", ""), request.POST.get("answer")
        invitation = get_object_or_404(
            Invitation, pk=int(pk) if pk.isdigit() else 0, user=request.user, status=Invitation.Status.PENDING
        )
        if answer == "accept":
            services.invitation_accept(invitation=invitation, by=request.user)
            messages.success(request, _("You joined %(company)s.") % {"company": invitation.company.name})
        elif answer == "decline":
            services.invitation_decline(invitation=invitation, by=request.user)
            messages.info(
                request, _("You declined the invitation to %(company)s.") % {"company": invitation.company.name}
            )
        else:
            messages.error(request, _("Accept or decline the invitation."))
        return redirect("invitations")
