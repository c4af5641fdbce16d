"""OpenAPI: every operation documents its error responses too, in one place."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorDetail = inline_serializer("ErrorDetail", {"detail": serializers.CharField()})
# A 400 body maps each field (or "non_field_errors") to its messages; nested fields nest (e.g. a plan's steps).
FieldErrors = {
    "type": "object",
    "description": 'Messages, keyed by the field name, e.g. {"amount": ["The amount must be positive."]}.',
    "additionalProperties": {"oneOf": [{"type": "array"}, {"type": "object"}, {"type": "string"}]},
}

ERROR_RESPONSES = {
    "400": OpenApiResponse(FieldErrors, description="Invalid input; each message names its field."),
    "401": OpenApiResponse(ErrorDetail, description="Not signed in, or the token is wrong."),
    "403": OpenApiResponse(ErrorDetail, description="Your role in this company does not allow this."),
    "404": OpenApiResponse(ErrorDetail, description="No such object in your company (or no such company)."),
    "429": OpenApiResponse(ErrorDetail, description="Too many requests; retry after the time in Retry-After."),
}


class ErrorDocumentingAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        # Lists and plain reads can still be refused for a bad filter, an unknown company or a missing login.
        for code, response in ERROR_RESPONSES.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
