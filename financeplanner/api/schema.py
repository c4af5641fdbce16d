"""OpenAPI: every operation documents its error responses too, in one place; enums get names a generated client
can use."""

import re

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorDetail = inline_serializer("ErrorDetail", {"detail": serializers.CharField()})
# A 400 body maps each field (or "non_field_errors") to its messages; nested fields nest (e.g. a plan's steps).
FieldErrors = {
    "type": "object",
    "description": 'Messages, keyed by the field name, e.g. {"amount": ["The amount must be positive."]}.',
    "additionalProperties": {
        "oneOf": [
            {
                "type": "array",
                "items": {"oneOf": [{"type": "string"}, {"type": "object", "additionalProperties": True}]},
            },
            {"type": "object", "additionalProperties": True},
            {"type": "string"},
        ]
    },
}

ERROR_RESPONSES = {
    "400": OpenApiResponse(FieldErrors, description="Invalid input; each message names its field."),
    "401": OpenApiResponse(ErrorDetail, description="Not signed in, or the token is wrong."),
    "403": OpenApiResponse(ErrorDetail, description="Your role in this company does not allow this."),
    "404": OpenApiResponse(ErrorDetail, description="No such object in your company (or no such company)."),
    "429": OpenApiResponse(ErrorDetail, description="Too many requests; retry after the time in Retry-After."),
}


class ErrorDocumentingAutoSchema(AutoSchema):
    def map_parsers(self):
        """JSON bodies for the JSON API; a view that uploads files publishes multipart itself (`request=`).
        (DRF's token view also parses forms, for `curl -d`; clients are told JSON.)"""
        parsers = super().map_parsers()
        return ["application/json"] if "application/json" in parsers else parsers

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        # Lists and plain reads can still be refused for a bad filter, an unknown company or a missing login.
        for code, response in ERROR_RESPONSES.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses


# POSTs with an effect that a client may retry safely.
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Any unique string (a UUID) per intended operation: a retry with the same key gets the first "
    "answer (marked `Idempotent-Replayed: true`) and has no second effect. Kept 24 hours.",
)
IDEMPOTENT_RESPONSES = {
    422: OpenApiResponse(FieldErrors, description="This Idempotency-Key was used for a different request."),
}


def _varname(value: str, index: int) -> str:
    if not value or not value[0].isalpha():
        return f"VALUE_{index}"
    return re.sub(r"_+", "_", re.sub(r"[^A-Z0-9]", "_", value.upper().replace("+", "_PLUS").replace("-", "_MINUS")))


def _case_suffix(value: str) -> str:
    if value.isupper():
        return ""
    if value.islower():
        return "_LOWER"
    return "_TITLE" if value.istitle() else "_MIXED"


def enum_varnames(result, generator, request, public):
    """drf-spectacular post-processing hook: `x-enum-varnames` on every string enum, unique by construction.

    Generated clients upper-case enum values into member names, so values that differ only by case (an S&P "AA"
    and a Moody's "Aa") or by a sign ("AA+", "AA") collide; here they get distinct names (AA, AA_TITLE, AA_PLUS)."""
    for component in result.get("components", {}).get("schemas", {}).values():
        values = component.get("enum")
        if not values or not all(isinstance(v, str) for v in values):
            continue
        names, used = [], set()
        for index, value in enumerate(values):
            name = _varname(value, index)
            if name in used:
                name += _case_suffix(value)
            base, n = name, 2
            while name in used:
                name, n = f"{base}_{n}", n + 1
            used.add(name)
            names.append(name)
        component["x-enum-varnames"] = names
    return result
