"""Mailing each customer its report: settings, recipients, the message, sending, the outcome.

``settings.py`` (SMTP and sender from a file and the environment),
``recipients.py`` (from the inventory, or ``--to``), ``message.py`` (pure:
the EmailMessage), ``send.py`` (smtplib, each failure one line with its
kind), ``deliver.py`` (per customer, never stopping at one failure, never
twice per run unless asked, every outcome recorded in history).
"""
