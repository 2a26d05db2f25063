# edgecost: `make run` opens the app, `make test` runs every test, `make bench` prints the
# performance figures. Each target first installs what a fresh Debian 12 machine lacks.

CARGO ?= cargo

.PHONY: setup run test bench

setup:
	@bash scripts/setup-debian.sh

run: setup
	$(CARGO) run --quiet -p edgecost -- tiers
	$(CARGO) run --quiet -p edgecost -- compare --requests 600k --egress-gb 120 --tier production

test: setup
	$(CARGO) test --workspace --locked

bench: setup
	$(CARGO) bench --locked -p edgecost-pricing --bench rating
