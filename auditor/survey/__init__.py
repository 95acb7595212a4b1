"""The pre-contract site survey: find the devices of a network, audit what the credentials open.

``networks.py`` checks what may be scanned, ``discover.py`` finds management
ports (TCP connect only, inside the given networks, at a bounded rate),
``classify.py`` says what answered (SSH, a network OS, WinRM, a web
appliance), ``draft.py`` writes the draft Ansible inventory the contract will
run with, and ``survey.py`` wires discovery, the draft and the normal audit.
``auditor check-here`` (``check_here.py``) audits the machine it runs on.
"""
