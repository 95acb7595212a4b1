"""auditor: proves, per customer, that each host meets the remote-maintenance prerequisites."""

__version__ = "0.1.0"
