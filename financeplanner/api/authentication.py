"""API tokens that expire: DRF's token, refused once it is older than API_TOKEN_TTL_DAYS (services.api_token_*)."""

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .. import services


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token …` as DRF reads it, refused with 401 when the token has expired."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if services.api_token_expired(token=token):
            raise exceptions.AuthenticationFailed(
                "The token has expired: ask for a new one with POST /api/v1/auth/token/."
            )
        return user, token
