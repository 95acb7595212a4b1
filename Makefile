# Two commands do all the set-up on a fresh Debian 12 machine, as root:
#   make demo   builds the demo customer network, audits it, prints where the reports are
#   make test   runs the whole test suite (lab-backed)
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
DEBS  := openssh-server openssh-client dropbear-bin dnsmasq nftables busybox-static iproute2 openssl sudo dnsutils \
         chromium chromium-driver fonts-dejavu-core postgresql systemd

.PHONY: demo demo-sites test lint bench system-deps venv clean lab-down

system-deps:
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

demo: system-deps venv
	$(PY) -m auditor.lab demo

# One audit across two customer sites: a worker at each, PostgreSQL as store and queue.
demo-sites: system-deps venv
	$(PY) -m auditor.lab sites-demo

test: system-deps venv
	$(VENV)/bin/pytest

lint: venv
	$(VENV)/bin/ruff check auditor tests bench
	$(VENV)/bin/ruff format --check auditor tests bench
	$(VENV)/bin/mypy

# The auditor against Ansible on labs of 20, 100 and 500 hosts, in one run (bench/RESULTS.md).
bench: system-deps venv
	$(PY) -m bench.run

lab-down: venv
	$(PY) -m auditor.lab down --all-stale

clean: lab-down
	rm -rf $(VENV) reports/*.html reports/*.json
