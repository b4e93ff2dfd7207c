# The two commands of the README's Quick start: `make run` and `make test`.
.PHONY: setup run test mutation test-fast lint bench
.DEFAULT_GOAL := run

setup:
	@bash scripts/setup.sh

# Serves the web UI, the OpenAI-compatible API and MCP on http://127.0.0.1:8316 and
# prints a one-time sign-in link; `.venv/bin/os1 chat` is the terminal door.
run: setup
	.venv/bin/os1 serve

# Where dates, days and zones are computed; a day boundary in the machine's zone that
# the code forgot shows up only when the machine is far from UTC.
CLOCK_TESTS := tests/memory tests/skills tests/core tests/store tests/turn tests/cli \
	tests/test_hostile_input_time.py

# What runs through the store: run again on PostgreSQL (the tests start their own).
STORE_TESTS := tests/core tests/turn tests/server tests/memory

# Everything, including the integration tests on the real embedded model.
test: setup
	.venv/bin/ruff check src tests bench
	.venv/bin/pytest
	@echo "The tests that read dates and times, again in a zone 14 hours from UTC:"
	TZ=Pacific/Kiritimati .venv/bin/pytest -q -m "not real_model and not slow" $(CLOCK_TESTS)
	@echo "The companion's and the server's tests again, with the store on PostgreSQL:"
	OS1_TEST_STORE=postgresql .venv/bin/pytest -q -m "not real_model and not slow" $(STORE_TESTS)

# Mutation testing of the code that carries the promises (store scoping, sessions, the
# proposal lifecycle, forget and vectors, auth, perceive): about 30 minutes, so not part
# of `test`. Prints the score per module and every mutant no test caught.
mutation: setup
	@bash scripts/mutation.sh

# Unit tests only (scripted model), for a quick loop while editing.
test-fast: setup
	.venv/bin/pytest -m "not real_model and not slow"

lint: setup
	.venv/bin/ruff check src tests bench
	.venv/bin/ruff format --check src tests bench
	.venv/bin/mypy

bench: setup
	.venv/bin/python bench/llm_overhead.py
	.venv/bin/python bench/cold_start.py
	.venv/bin/python bench/memory.py
	.venv/bin/python bench/load.py
	.venv/bin/python bench/skills.py
	.venv/bin/python bench/hostile_input.py --live
