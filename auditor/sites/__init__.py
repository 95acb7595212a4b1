"""Audits past one machine: jobs on a PostgreSQL task queue, workers at each site.

``auditor schedule`` loads the inventory, splits it into one job per customer
(or per chunk of hosts) and site (``auditor_site``), writes the run and its
jobs into the history store and puts each job on its site's queue
(procrastinate, in the same PostgreSQL). ``auditor worker --site NAME`` runs
where that site's hosts are reachable: it reads the inventory and vault
password *there*, audits the hosts a job names and records each one into the
run. ``auditor status`` shows queues, workers and the last run per customer.

Modules: ``queue`` (the procrastinate app and queue names), ``plan`` (which
hosts go into which job), ``schedule``, ``job`` (one attempt of one job),
``worker`` (the process, retrying the jobs of dead workers), ``status``.
The run's own bookkeeping (claims, deadlines, what is missing) is the history
store's (``history/jobs.py``).
"""
