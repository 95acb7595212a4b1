"""The mail tests' fixtures: a real SMTP server (smtp_lab.py); the browser is tests/browser.py's."""

from smtp_lab import smtp_pki, smtp_server

__all__ = ["smtp_pki", "smtp_server"]
