"""The plan approval form: an optional comment, recorded on the approved version (a module of its own beside
forms.py, which holds the plan's edit form)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import APPROVAL_COMMENT_MAX


class PlanApprovalForm(forms.Form):
    comment = forms.CharField(
        label=_("Approval comment"),
        required=False,
        max_length=APPROVAL_COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: what you checked, or a condition of the approval. Kept with the approved version."),
    )
