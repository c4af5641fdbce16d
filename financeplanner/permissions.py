"""Who may do what: reads need membership, writes the role the action names (DESIGN.md's role table)."""

from rest_framework import permissions

from .choices import Role


class HasCompanyRole(permissions.BasePermission):
    """Reads need any membership; writes need `view.write_role` (analyst unless the view says otherwise).

    A view may name a stricter role per action in `view.action_roles`, e.g. {"approve": Role.TREASURER}.
    """

    message = "Your role in this company does not allow this."

    def has_permission(self, request, view) -> bool:
        membership = getattr(request, "membership", None)
        if membership is None:
            return False
        required = required_role(request, view)
        return membership.has_role(required)


def required_role(request, view) -> str:
    action_roles = getattr(view, "action_roles", {})
    action = getattr(view, "action", None)
    if action in action_roles:
        return action_roles[action]
    if request.method in permissions.SAFE_METHODS:
        return Role.VIEWER
    return getattr(view, "write_role", Role.ANALYST)
