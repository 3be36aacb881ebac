# The commands the README gives. Everything runs from the virtual environment in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
THREADS ?= 4
FLASK := $(BIN)/flask --app wsgi
LOCALES := ru kk en
CATALOG := lms/translations/messages.pot

.PHONY: run test serve translations compile-translations migrate clean

$(INSTALLED): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(INSTALLED)

compile-translations: $(INSTALLED)
	$(BIN)/pybabel compile -d lms/translations

migrate: $(INSTALLED) compile-translations
	$(FLASK) db upgrade

run: migrate
	$(FLASK) lms demo
	@echo "Kelisim is at http://$(HOST):$(PORT)/"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: $(INSTALLED) compile-translations
	$(BIN)/pytest $(PYTEST_ARGS)

serve: migrate
	$(BIN)/gunicorn -k gthread --workers $(WORKERS) --threads $(THREADS) --bind $(HOST):$(PORT) \
		--access-logfile - wsgi:app

translations: $(INSTALLED)
	$(BIN)/pybabel extract -F lms/babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project Kelisim --copyright-holder "Kelisim developers" -o $(CATALOG) lms
	for locale in $(LOCALES); do \
		if [ -f lms/translations/$$locale/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update --no-fuzzy-matching -i $(CATALOG) -d lms/translations -l $$locale; \
		else \
			$(BIN)/pybabel init -i $(CATALOG) -d lms/translations -l $$locale; \
		fi; \
	done
	$(MAKE) compile-translations

clean:
	rm -rf $(VENV) .pytest_cache
