# mapgen: the two set-up commands of the README.
#   make map    install mapgen into .venv and build output/map.html from places.csv (no network for the data)
#   make test   also install the test tools, Debian's chromium and nodejs if missing, the pinned map assets; run every test
# Other targets: make test-stress (browser tests 8 times, 3 of them under CPU load), make bench, make clean.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q

.PHONY: map test test-stress bench chromium nodejs assets clean

map: $(VENV)/.installed
	$(VENV)/bin/mapgen build places.csv -o output --offline

test: $(VENV)/.installed-test chromium nodejs assets
	node --test tests/js/*.test.js
	$(PY) -m pytest

# The browser tests 5 times in a row, then 3 times beside a busy loop on every core (issue 12).
test-stress: $(VENV)/.installed-test chromium assets
	PY=$(PY) tests/stress.sh

bench: $(VENV)/.installed-test chromium assets
	$(PY) bench/run.py

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install -e '.[test]'
	touch $@

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
chromium:
	@command -v /usr/bin/chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium (needed by the browser tests)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }
	@/usr/bin/chromium --version

# The map's JavaScript that needs no browser is tested with Node's own test runner.
nodejs:
	@command -v node >/dev/null 2>&1 || { \
	  echo "Installing Debian's nodejs (needed by the JavaScript tests)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs >/dev/null; }
	@node --version

# Pinned Leaflet / Supercluster / Font Awesome files, from the npm registry, hash-checked.
assets: $(VENV)/.installed
	$(VENV)/bin/mapgen assets fetch

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
