"""Database constraints whose validation error names the field it is about.

Django reports a violated expression constraint (such as a unique `Lower("name")`) as an error of the whole
object; forms, the API and the importer all show a model's `validate_constraints()` errors, so the one message
given everywhere should sit next to the field.
"""

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.db.models import F, UniqueConstraint
from django.db.models.functions import Lower


class UniqueNameConstraint(UniqueConstraint):
    """Unique whatever the letter case: `UniqueNameConstraint.in_company("pool", _("There is … %(name)s."))` is
    `UniqueNameConstraint(Lower("name"), "company", name="pool_unique_name", violation_error_message=...)`.

    'Bank A' and 'bank a' are the same lender: the database refuses the second. A violation is an error of the
    first expression's field (`name`), with `violation_error_message` formatted with that field's value as
    `%(name)s` (not the constraint's name, as Django would).
    """

    @classmethod
    def in_company(cls, prefix: str, message) -> "UniqueNameConstraint":
        """A name unique in its company whatever the case, named `<prefix>_unique_name`."""
        return cls(Lower("name"), "company", name=f"{prefix}_unique_name", violation_error_message=message)

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
