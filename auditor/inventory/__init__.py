"""Ansible inventories -> :class:`auditor.model.Target` values (see :mod:`.ansible`)."""

from auditor.inventory.ansible import InventoryLoad, load_inventory

__all__ = ["InventoryLoad", "load_inventory"]
