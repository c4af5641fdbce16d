"""`Idempotency-Key` on POSTs with an effect (drill starts, draws): a retry gets the first response, not a second
effect.

The key is stored in the same transaction as the effect, under a unique (company, key): a concurrent retry waits on
that row in PostgreSQL and then replays what the first request answered. Only answers with an effect are kept; a
refused request (400, 403, 503) stores nothing, so the same key may try again. The same key with another method,
path or body is a 422: it is a client bug, not a retry.
"""

import hashlib
import json
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .models import Company, IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


class KeyReused(APIException):
    """The key was first used for a different request."""

    status_code = 422
    default_code = "idempotency_key_reused"
    default_detail = {HEADER: ["This key was used for a different request; send a new key for a new request."]}


def _key(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not all("!" <= ch <= "~" for ch in key):
        raise ValidationError({HEADER: "1 to 255 visible ASCII characters (a UUID is a good key)."})
    return key


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, cls=JSONEncoder, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(request, company: Company, perform: Callable[[], Response]) -> Response:
    """Answer with `perform()` once per (company, Idempotency-Key); without the header, simply call it."""
    key = _key(request)
    if key is None:
        return perform()
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(company=company, key=key, fingerprint=fingerprint)
        except IntegrityError:
            record = None  # used before (or by a concurrent request, which has committed meanwhile)
        if record is not None:
            response = perform()
            record.status_code = response.status_code
            record.response = json.loads(json.dumps(response.data, cls=JSONEncoder))
            record.save(update_fields=["status_code", "response", "updated_at"])
            return response
    record = IdempotencyKey.objects.get(company=company, key=key)
    if record.fingerprint != fingerprint:
        raise KeyReused()
    return Response(record.response, status=record.status_code, headers={REPLAYED_HEADER: "true"})
