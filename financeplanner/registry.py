"""What the apps contribute to the core, filled from each app's `AppConfig.ready()` (as NetBox's netbox/registry.py).

The core never imports the apps above it (financeplanner <- channels_app <- contingency): it keeps the generic
machinery and looks up here what the apps registered.

* ``registry["exports"]``: export datasets by name (``financeplanner.exports.Dataset``), ordered by their weight —
  the order of the export index and the OpenAPI schema.
* ``registry["imports"]``: spreadsheet import specs by name (``financeplanner.importing.ImportSpec``), in the order
  registered.
* ``registry["tombstoned"]``: the models (``app_label.modelname``) whose deletions are recorded for incremental
  export pulls.
"""

from __future__ import annotations

from typing import Any


class Registry(dict):
    """A fixed set of stores: a store can be filled, but none added or removed after start-up."""

    def __getitem__(self, key: str) -> Any:
        try:
            return super().__getitem__(key)
        except KeyError:
            raise KeyError(f"Invalid store: {key}") from None

    def __setitem__(self, key: str, value: Any) -> None:
        raise TypeError("Cannot add stores to the registry after initialisation")

    def __delitem__(self, key: str) -> None:
        raise TypeError("Cannot delete stores from the registry")


registry = Registry(
    {
        "exports": {},
        "imports": {},
        "tombstoned": set(),
    }
)
