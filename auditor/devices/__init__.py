"""Network devices driven over their CLI: the platforms, the dialog, and reading the answers.

``platforms.py`` says how each CLI behaves, ``session.py`` holds one
interactive session (prompt, pager, enable), ``dialog.py`` decides what is
asked and ``readers.py`` reads the device's own words. The transport that
reaches the device is ``transports/device_cli.py``; the verdict is the
judge's (``judge/admin.py``).
"""
