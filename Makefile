# The course's commands. `make lab` and `make test` set everything up on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
CHAPTERS := $(notdir $(wildcard solutions/[0-9][0-9]_*))
ASSIGNMENT ?= $(CHAPTERS)
CLASS_DIR ?= class
STUDENTS ?= 40

# nbgrader reads the class's configuration ($(CLASS_DIR)/nbgrader_config.py, made by `make class`), then the
# course's (autograder/nbgrader_config.py): what the class's sets wins. It runs `alembic` from the venv.
export JUPYTER_CONFIG_PATH := $(abspath $(CLASS_DIR)):$(CURDIR)/autograder
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

# `$(call each_chapter,CHAPTERS,COMMAND)` runs COMMAND for every chapter of CHAPTERS ($$chapter names it):
# one that fails does not stop the others; the failed ones are named at the end, and make fails then.
define each_chapter
	@failed=""; for chapter in $(1); do echo "== $$chapter"; $(2) || failed="$$failed $$chapter"; done; \
	if [ -n "$$failed" ]; then echo "failed for:$$failed (see the messages above)"; exit 1; fi
endef

.PHONY: hub-install hub-users hub test-hub install class lab test bench bench-quick release release-assignment collect zip-collect autograde feedback release-feedback grades report demo

# Debian packages the course needs besides Python, as command:package: bubblewrap runs graded student
# code in a sandbox, chromium runs the browser tests. Each is installed when missing, as root with apt;
# otherwise what needs it fails and says why.
GRADING_PACKAGES := bwrap:bubblewrap
TEST_PACKAGES := chromium:chromium
HUB_PACKAGES := node:nodejs npm:npm
define install_debian_packages
	@for pair in $(1); do command -v $${pair%%:*} >/dev/null || missing="$$missing $${pair#*:}"; done; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "missing Debian packages:$$missing (needs root and apt-get to install them)"; fi
endef

install: $(VENV)/.installed
	$(call install_debian_packages,$(GRADING_PACKAGES))

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	# JupyterLab asks to fetch news from the web on first start: the course needs no network
	mkdir -p $(VENV)/share/jupyter/lab/settings
	echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' \
	  > $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $@

class: install  ## the class folder $(CLASS_DIR) (class/): its exchange, and its nbgrader_config.py to edit
	python -m autograder.settings class $(CLASS_DIR)

lab: class  ## open the course in JupyterLab
	jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

test: install  ## the whole test suite but the hub's (make test-hub)
	$(call install_debian_packages,$(TEST_PACKAGES))
	pytest --ignore=tests/browser/test_hub.py --durations=25

bench: install  ## timings: notebooks, import, widgets, chapter 4's engines, grading STUDENTS (40; 0 skips it, else about half an hour) and its CPU profile; one table at the end
	python tests/benchmarks/bench_notebooks.py
	python tests/benchmarks/bench_import.py
	python tests/benchmarks/bench_widget.py
	python tests/benchmarks/bench_deepnet.py
	python tests/benchmarks/bench_backprop.py
	python tests/benchmarks/bench_caps.py
	$(if $(filter-out 0,$(STUDENTS)),python tests/benchmarks/bench_autograde.py --students $(STUDENTS))
	$(if $(filter-out 0,$(STUDENTS)),python tests/benchmarks/bench_grading_profile.py --students $(STUDENTS))
	python tests/benchmarks/bench_table.py

bench-quick:  ## make bench without grading a class (a few minutes); the table shows the last autograde record
	$(MAKE) --no-print-directory bench STUDENTS=0

release: class  ## student notebooks and sealed quizzes from solutions/
	$(call each_chapter,$(CHAPTERS),python -m trainlab.quiz seal solutions/$$chapter/quiz_key.py \
	  lib/trainlab/quizzes/$$chapter.json && nbgrader generate_assignment $$chapter --force)

release-assignment: class  ## put the student notebooks on nbgrader's exchange for students to fetch
	$(call each_chapter,$(ASSIGNMENT),nbgrader release_assignment $$chapter --force)

collect: class  ## submissions from the exchange into $(CLASS_DIR)/submitted
	$(call each_chapter,$(ASSIGNMENT),nbgrader collect $$chapter)

zip-collect: class  ## submissions from an LMS: $(CLASS_DIR)/downloaded/<chapter>/archive/<student>_<notebook>.ipynb or .zip
	$(call each_chapter,$(ASSIGNMENT),nbgrader zip_collect $$chapter --force)

autograde: class  ## grade the class in parallel, only what is new (FORCE=1: everything), with progress
	python autograder/parallel_autograde.py $(ASSIGNMENT) $(if $(FORCE),--force) $(if $(SCHEDULER),--scheduler $(SCHEDULER))

feedback: class  ## HTML feedback per student in $(CLASS_DIR)/feedback
	$(call each_chapter,$(ASSIGNMENT),nbgrader generate_feedback $$chapter)

release-feedback: class  ## put the feedback on the exchange for students to fetch
	$(call each_chapter,$(ASSIGNMENT),nbgrader release_feedback $$chapter)

grades: class  ## $(CLASS_DIR)/grades.csv
	nbgrader export --to $(abspath $(CLASS_DIR))/grades.csv

report: class  ## the class at a glance: $(CLASS_DIR)/report.html, its numbers in $(CLASS_DIR)/report/, grades for Canvas and Moodle
	python -m autograder.report $(ASSIGNMENT)

demo: install  ## the instructor workflow on a synthetic class, in build/demo
	python autograder/demo.py build/demo

# The class on a JupyterHub (autograder/hub_config.py, configured by $(CLASS_DIR)/hub/jupyterhub_config.py):
# run these as root. HUB_IP and HUB_PORT become JupyterHub's --ip and --port.
HUB_IP ?= 127.0.0.1
HUB_PORT ?= 8000
HUB_PROXY := build/hub/node_modules/.bin/configurable-http-proxy
PROXY_VERSION := 5.3.0

hub-install: install $(VENV)/.hub-installed $(HUB_PROXY)

$(VENV)/.hub-installed: $(VENV)/.installed
	$(VENV)/bin/pip install --quiet -e '.[hub]'
	touch $@

$(HUB_PROXY):
	$(call install_debian_packages,$(HUB_PACKAGES))
	npm install --no-save --no-audit --no-fund --silent --prefix build/hub configurable-http-proxy@$(PROXY_VERSION)

test-hub: hub-install  ## a class on the course's JupyterHub in a browser (root; 6 to 15 minutes)
	$(call install_debian_packages,$(TEST_PACKAGES))
	pytest tests/browser/test_hub.py

hub-users: hub-install  ## a Linux account per person of $(CLASS_DIR)/roster.csv; first passwords in $(CLASS_DIR)/hub/first-passwords.csv
	python -m autograder.hub users $(abspath $(CLASS_DIR))

hub: hub-users  ## JupyterHub for the class on HUB_IP:HUB_PORT (127.0.0.1:8000), formgrader at /services/trainlab/
	python -m autograder.hub prepare $(abspath $(CLASS_DIR))
	jupyterhub -f $(abspath $(CLASS_DIR))/hub/jupyterhub_config.py --ip=$(HUB_IP) --port=$(HUB_PORT)
