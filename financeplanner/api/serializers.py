"""The core's serializers, and the base of every model serializer: the model's own rules validate the request."""

import copy
import functools
from collections.abc import Callable
from typing import Any, NamedTuple

from django.core.exceptions import NON_FIELD_ERRORS, ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import serializers
from rest_framework.fields import SkipField, empty, get_error_detail
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings

from ..choices import Role
from ..models import Company, FxRate, Invitation, Membership


@functools.cache
def _concrete_names(model) -> frozenset[str]:
    return frozenset(field.name for field in model._meta.concrete_fields)


class BulkRow(NamedTuple):
    """One row checked by `ValidatedModelSerializer.validate_bulk`."""

    instance: models.Model | None  # the unsaved row, built once and cleaned; None when the row has errors
    data: dict[str, Any]  # the validated data of the fields that passed
    errors: dict[str, Any]  # DRF's error detail by field name; empty when the row passed


class ValidatedModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer that runs the model's `full_clean()` (as NetBox's netbox.api.serializers does), so every
    rule lives once on the model — field validators, `clean()`, constraints — and the API, the pages and the
    importer give the same, translated message, naming the same field.

    `validate()` builds an instance from the validated data (a copy of `self.instance` on an update; the company
    from the context on a company's row), cleans it and turns Django's ValidationError into DRF's, keyed by the
    serializer's field names (errors of the whole object under `non_field_errors`). Model fields the request does
    not carry, and fields the serializer declares itself, are left out of the field checks (`clean()` still sees
    the whole instance), as a ModelForm leaves out what it does not show; the company is never left out, so a
    constraint scoped to it (a name unique in the company) is checked.

    Bulk use (the importer): put `bulk=True` in the serializer's context and the per-row database work is
    skipped — no `validate_unique()` / `validate_constraints()` queries and no foreign-key existence queries
    (the related fields resolved their objects already), and no second pass of the field checks the serializer's
    fields (built from the model's, with its validators) have made; `clean()` still runs. The caller
    then owns uniqueness for the whole file, case-insensitively as the database's `UniqueNameConstraint` is
    (compare `name.lower()`, as the constraint's LOWER does), against the company's rows and within the file; the database still refuses a duplicate or a violated check constraint on insert
    (IntegrityError).

    A serializer nested in another (a channel's triggers, a plan's steps, a scenario's shocks) is not cleaned on
    its own: the parent's service cleans each row and names it `triggers[0].rating`, as the contract shows.
    """

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self._is_nested():
            return attrs
        model = self.Meta.model
        if self.context.get("bulk") and self.instance is None:
            return self._validate_bulk_row(model, attrs)
        instance = copy.copy(self.instance) if self.instance is not None else model()
        concrete = {field.name: field for field in model._meta.concrete_fields}
        for name, value in attrs.items():
            if name in concrete:
                setattr(instance, name, value)
        company = self.context.get("company")
        if "company" in concrete and company is not None and getattr(instance, "company_id", None) is None:
            instance.company = company
        # Fields the request does not carry, and fields this serializer declares itself (their own rules replace
        # the model's: an assessment's rating may be left for the service to imply; a company-scoped relation has
        # resolved its object already).
        declared = {field.source for field in self._declared_fields.values()}
        exclude = {name for name in concrete if (name not in attrs or name in declared) and name != "company"}
        if getattr(instance, "company_id", None) is None:
            exclude.add("company")  # a row whose service sets the company (e.g. from its channel)
        try:
            instance.full_clean(exclude=exclude)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(self._drf_detail(exc)) from exc
        return attrs

    def _validate_bulk_row(self, model, attrs):
        """A new row of a bulk import: the fields' own checks ran already (ModelSerializer built each field from
        the model's, with its validators, choices, lengths and digits), so only `clean()`, the rules over several
        fields, is left; no query. The row is built once, by the context's `build(attrs)` (the importer's: the
        very object it will insert) or as the model's own row in the company, and kept as `bulk_instance`."""
        instance = self._bulk_build(model, attrs)
        self.bulk_instance = instance
        try:
            instance.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(self._drf_detail(exc)) from exc
        return attrs

    def _bulk_build(self, model, attrs, partial: bool = False):
        build = self.context.get("build")
        if build is not None and not partial:  # a dataset's own build may need every field
            return build(attrs)
        concrete = _concrete_names(model)
        instance = model(**{name: value for name, value in attrs.items() if name in concrete})
        company = self.context.get("company")
        if "company" in concrete and company is not None:
            instance.company = company
        return instance

    def validate_bulk(self, data: dict[str, Any]) -> BulkRow:
        """One row of a bulk import (`bulk` in the context), every error of it at once.

        What `run_validation(data)` does for a plain dict — each writable field's `run_validation` and its
        `validate_<name>` method, then the serializer's validators and `validate()` (which builds the row and runs
        the model's `clean()`) — with DRF's per-field machinery taken once per serializer rather than per row, and
        one difference: when fields fail, the row is still built from the fields that passed and `clean()` still
        runs, as Django's `full_clean()` runs it after failed fields, so its errors on other fields are reported
        with theirs. Returns the cleaned unsaved row (None if the row has errors), the validated data and the
        errors, keyed by field name (`non_field_errors` for the row as a whole)."""
        attrs: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for name, field, validate_method in self._bulk_fields():
            try:
                value = field.run_validation(data.get(name, empty))
                if validate_method is not None:
                    value = validate_method(value)
            except serializers.ValidationError as exc:
                errors[name] = exc.detail
            except DjangoValidationError as exc:
                errors[name] = get_error_detail(exc)
            except SkipField:
                continue  # no value and no default: left out of the row, as DRF's to_internal_value leaves it
            else:
                attrs[name] = value
        model = self.Meta.model
        self.bulk_instance = None
        if not errors:
            try:
                if self.validators:  # none on the import serializers: skips building the read-only defaults
                    self.run_validators(attrs)
                attrs = self.validate(attrs)
            except (serializers.ValidationError, DjangoValidationError) as exc:
                errors.update(as_serializer_error(exc))
            else:
                return BulkRow(self.bulk_instance or self._bulk_build(model, attrs), attrs, {})
            return BulkRow(None, attrs, errors)
        instance = self._bulk_build(model, attrs, partial=True)
        try:
            instance.clean()
        except DjangoValidationError as exc:
            for key, messages in self._drf_detail(exc).items():
                errors.setdefault(key, messages)  # a field that failed keeps its own message
        return BulkRow(None, attrs, errors)

    def _bulk_fields(self) -> list[tuple[str, serializers.Field, Callable[[Any], Any] | None]]:
        """The writable fields, each with its `validate_<name>` method, as `to_internal_value` walks them; only
        flat fields (a field's source is its name), as the import serializers' are."""
        cached = getattr(self, "_bulk_fields_cache", None)
        if cached is None:
            cached = []
            for field in self._writable_fields:
                if field.source_attrs != [field.field_name]:
                    raise ImproperlyConfigured(f"Bulk validation reads flat fields only, not {field.source!r}.")
                cached.append((field.field_name, field, getattr(self, "validate_" + field.field_name, None)))
            self._bulk_fields_cache = cached
        return cached

    def _is_nested(self) -> bool:
        parent = self.parent
        if isinstance(parent, serializers.ListSerializer):
            parent = parent.parent
        return parent is not None

    def _drf_detail(self, exc: DjangoValidationError) -> dict[str, list[str]]:
        if not hasattr(exc, "error_dict"):
            return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
        names = {field.source: name for name, field in self.fields.items() if not field.read_only}
        detail: dict[str, list[str]] = {}
        for model_field, messages in exc.message_dict.items():
            key = api_settings.NON_FIELD_ERRORS_KEY if model_field == NON_FIELD_ERRORS else names.get(model_field)
            detail.setdefault(key or model_field, []).extend(messages)
        return detail


class CompanySerializer(ValidatedModelSerializer):
    role = serializers.SerializerMethodField()

    class Meta:
        model = Company
        fields = [
            "id", "slug", "name", "reporting_currency", "survival_horizon_days", "min_cash_buffer",
            "target_survival_probability", "credit_uncommitted_under_stress",
            "domestic_notch_offset", "role", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["updated_at"]

    def get_role(self, company: Company) -> str | None:
        roles = self.context.get("roles", {})
        return roles.get(company.pk)


class MemberSerializer(ValidatedModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = Membership
        # alert_emails: true / false as the member chose, null as their role has it; each member changes only their own.
        fields = ["username", "role", "notify_on_failed_drill", "alert_emails"]
        read_only_fields = ["notify_on_failed_drill"]


class MemberInviteSerializer(serializers.Serializer):
    """An admin's invitation; answered the same whether or not the username exists (no enumeration)."""

    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VIEWER)
    detail = serializers.CharField(read_only=True)


class InvitationSerializer(serializers.ModelSerializer):
    company = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    company_name = serializers.CharField(source="company.name", read_only=True)
    invited_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Invitation
        fields = ["id", "company", "company_name", "role", "invited_by", "status", "created_at", "responded_at"]
        read_only_fields = fields


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)


class FxRateSerializer(ValidatedModelSerializer):
    class Meta:
        model = FxRate
        fields = ["id", "currency", "as_of", "rate", "updated_at"]
        read_only_fields = ["updated_at"]
