# The front door: `make demo` runs the whole learning loop on the demo domain, `make test` the tests.
VENV := .venv/bin
DOMAIN ?= data/domains/demo.toml

.PHONY: setup demo test ui report bench clean-state

setup:
	@bash scripts/setup.sh

demo: setup
	$(VENV)/alas run --domain $(DOMAIN)
	$(VENV)/alas report --domain $(DOMAIN)

test: setup
	$(VENV)/ruff check alas_assets alas_assets_tests scripts
	$(VENV)/ruff format --check alas_assets alas_assets_tests scripts
	@bash scripts/setup-browser.sh
	$(VENV)/python -m pytest -q

ui: setup
	$(VENV)/alas ui --domain $(DOMAIN)

report: setup
	$(VENV)/alas report --domain $(DOMAIN)

# The benchmark on a fresh state (bench-results/<domain>/): accuracy vs baselines, retention, throughput.
bench: setup
	$(VENV)/alas bench --domain $(DOMAIN)

clean-state:
	rm -rf data/state data/dagster_home
