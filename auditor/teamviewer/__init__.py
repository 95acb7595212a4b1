"""The MSP's own TeamViewer company: its managed devices, fetched from the Web API once per run.

``api.py`` talks to the TeamViewer Web API (the only network code here);
``directory.py`` is what a run learned from it, as plain data the judge
reads (the judge never fetches anything).
"""
