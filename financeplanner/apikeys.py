"""Read-only integration credentials: an admin issues an API key for the company's ERP to pull exports.

A key looks like `fp_<prefix>.<secret>`. It is shown once, when created; the database keeps the prefix (to find the
row) and the SHA-256 of the secret, so a leaked database does not leak usable keys. A key only authenticates on the
export endpoints (`ApiKeyAuthentication` is listed on those views alone), only for reads, and every use is logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS

from .choices import Role
from .models import ApiKey, ApiKeyUse, Company, Membership

KEY_PREFIX = "fp_"
KEYWORD = "Api-Key"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    """A new key and its one-time plain text."""

    key: ApiKey
    plain: str


@transaction.atomic
def apikey_create(*, company: Company, name: str, by) -> IssuedKey:
    """Issue a read-only export key for the company. The plain key is returned here and never again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Say what will use the key, e.g. 'SAP nightly pull'."})
    while True:
        prefix = secrets.token_hex(4)
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    secret = secrets.token_urlsafe(32)
    key = ApiKey(company=company, name=name, prefix=prefix, secret_hash=_hash(secret), created_by=by)
    key.full_clean()
    key.save()
    return IssuedKey(key=key, plain=f"{KEY_PREFIX}{prefix}.{secret}")


@transaction.atomic
def apikey_revoke(*, key: ApiKey, by) -> ApiKey:
    """Revoke a key at once; revoking twice keeps the first revocation."""
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at, key.revoked_by = timezone.now(), by
        key.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    return key


def apikey_lookup(plain: str) -> ApiKey | None:
    """The active key for a plain-text key, or None. Constant-time comparison of the secret's hash."""
    if not plain.startswith(KEY_PREFIX) or "." not in plain:
        return None
    prefix, _, secret = plain[len(KEY_PREFIX) :].partition(".")
    key = ApiKey.objects.select_related("company").filter(prefix=prefix, revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        return None
    return key


def apikey_record_use(*, key: ApiKey, method: str, path: str, ip: str | None) -> ApiKeyUse:
    now = timezone.now()
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return ApiKeyUse.objects.create(key=key, method=method[:10], path=path[:500], ip=ip or None)


class ApiKeyUser:
    """Who a request authenticated with an API key acts as: a read-only viewer of the key's company."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, key: ApiKey):
        self.api_key = key
        # A string pk keeps DRF's per-user throttles per key, apart from every real user.
        self.pk = self.id = f"api-key-{key.pk}"
        self.username = f"api-key:{key.prefix}"

    def __str__(self) -> str:
        return self.username

    def has_perm(self, perm, obj=None) -> bool:
        return False


def _client_ip(request) -> str | None:
    # REMOTE_ADDR, not X-Forwarded-For: the log must not be forgeable by the caller. Behind a proxy, have the
    # proxy set REMOTE_ADDR (gunicorn --forwarded-allow-ips) rather than trusting a header here.
    return request.META.get("REMOTE_ADDR") or None


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key fp_….…` — listed only on the export views, and only for reads."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        keyword, _, plain = header.partition(" ")
        if keyword.lower() != KEYWORD.lower():
            return None
        plain = plain.strip()
        if not plain or " " in plain:
            raise exceptions.AuthenticationFailed("Give the key after 'Api-Key ', with nothing else.")
        key = apikey_lookup(plain)
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        if request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied("API keys are read-only.")
        apikey_record_use(key=key, method=request.method, path=request.get_full_path(), ip=_client_ip(request))
        # The company is the key's, whatever X-Company says; the role is viewer (DESIGN: viewers download exports).
        request.membership = Membership(company=key.company, role=Role.VIEWER)
        request.company = key.company
        return ApiKeyUser(key), key

    def authenticate_header(self, request) -> str:
        return KEYWORD
