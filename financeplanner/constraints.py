"""Database constraints whose validation error names the field it is about.

Django reports a violated expression constraint (such as a unique `Lower("name")`) as an error of the whole
object; forms, the API and the importer all show a model's `validate_constraints()` errors, so the one message
given everywhere should sit next to the field.
"""

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.db.models import F, UniqueConstraint


class UniqueNameConstraint(UniqueConstraint):
    """Unique whatever the letter case, e.g. `UniqueNameConstraint(Lower("name"), "company", name=...)`.

    'Bank A' and 'bank a' are the same lender: the database refuses the second. A violation is an error of the
    first expression's field (`name`), with `violation_error_message` formatted with that field's value as
    `%(name)s` (not the constraint's name, as Django would).
    """

    @property
    def field_name(self) -> str:
        first = self.expressions[0]
        return next(expr.name for expr in first.flatten() if isinstance(expr, F))

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        try:
            super().validate(model, instance, exclude=exclude, using=using)
        except ValidationError:
            field = self.field_name
            message = self.violation_error_message % {"name": getattr(instance, field)}
            raise ValidationError({field: ValidationError(message, code="unique")}) from None


class CompanyConstraintsFormMixin:
    """A ModelForm over a company's rows checks the model's constraints scoped to the company (a name unique in the
    company), so the page shows the model's own message next to the field.

    A ModelForm leaves the fields it does not show out of the model's checks, and with them every constraint that
    names one — the company is never on the form. The form's instance gets the form's `company` (if it has none)
    and the company stays in the checks.
    """

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()  # type: ignore[misc]
        instance = self.instance  # type: ignore[attr-defined]
        company = getattr(self, "company", None)
        if company is not None and getattr(instance, "company_id", None) is None:
            instance.company = company
        if getattr(instance, "company_id", None) is not None:
            exclude.discard("company")
        return exclude


def refuse_names_clashing_in_case(app_label: str, *model_names: str):
    """A migration step run before a `UniqueNameConstraint` is added: it fails, listing them, if rows of a company
    already have names that differ only in letter case ('Bank A' and 'BANK A'), which the constraint would refuse.
    Nothing is renamed behind the treasurer's back: rename one of each pair, then migrate again."""

    def check(apps, schema_editor) -> None:
        from django.db.models import Count
        from django.db.models.functions import Lower

        clashes = []
        for model_name in model_names:
            model = apps.get_model(app_label, model_name)
            groups = (
                model.objects.annotate(key=Lower("name"))
                .values("company_id", "key")
                .annotate(rows=Count("id"))
                .filter(rows__gt=1)
                .order_by("company_id", "key")
            )
            for group in groups:
                names = (
                    model.objects.annotate(key=Lower("name"))
                    .filter(company_id=group["company_id"], key=group["key"])
                    .order_by("id")
                    .values_list("name", flat=True)
                )
                clashes.append(f"{app_label}.{model_name} of company #{group['company_id']}: {', '.join(names)}")
        if clashes:
            raise RuntimeError(
                "Names are now unique in a company whatever their letter case, and these names clash; rename all "
                "but one of each, then migrate again:\n  " + "\n  ".join(clashes)
            )

    return check
