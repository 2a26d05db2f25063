# edgecost: `make run` opens the app, `make test` runs every test, `make bench` prints the
# performance figures, `make package` bundles the .deb. Each target first installs what a
# fresh Debian 12 machine lacks.

CARGO ?= cargo
# The end-to-end tests and the keyring tests need a display and a session bus.
HEADLESS = xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session --

.PHONY: setup run test ui-test bench soak screenshots package package-test

setup:
	@bash scripts/setup-debian.sh

# The desktop app; src-tauri/build.rs builds the UI into ui/dist.
run: setup
	$(CARGO) run --locked -p edgecost-app

ui-test: setup
	cd ui && npm run check && npm test

# Unit, property, PostgreSQL, HTTP and end-to-end tests. The E2E suite drives the built app
# and the built `edgecost` binary.
test: setup ui-test
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings
	$(CARGO) machete
	python3 scripts/module-cycles.py
	$(CARGO) build --locked -p edgecost-app -p edgecost
	$(HEADLESS) $(CARGO) test --workspace --locked
	bash scripts/package.sh debug
	bash scripts/package-test.sh debug

# The installable app, bundled by the Tauri CLI from a release build into target/release/bundle/:
# a .deb (the app and the `edgecost` command line) and, where the bundler can fetch its tools,
# an AppImage. The app and the command line are built apart: one build of both would unify their
# features, and the app would link the PostgreSQL driver and the OpenAPI stack the CLI asks for.
# The app is built for size (the `release-app` profile in Cargo.toml), the command line for speed.
package: setup
	$(CARGO) build --locked --profile release-app -p edgecost-app --features custom-protocol
	$(CARGO) build --locked --release -p edgecost
	bash scripts/package.sh release

# Checks the .deb, installs it, opens the installed app on its first screen and removes it
# (as root, or through sudo). `make test` runs the same test on a package of the debug build it
# has just made, which holds the same files, so that it needs no release build.
package-test: package
	bash scripts/package-test.sh release

# Rewrites every committed generated file: the UI's TypeScript bindings and command wrappers
# (ui/src/bindings, ui/src/lib/commands.generated.ts) and the JSON schemas (schemas/). The same
# tests fail in `make test` when a file is stale. The API's bindings go first: the desktop's
# command wrappers import from them.
.PHONY: codegen
codegen:
	EDGECOST_CODEGEN=1 $(CARGO) test --locked -p edgecost-api --test generated
	EDGECOST_CODEGEN=1 $(CARGO) test --locked -p edgecost-pricing --test schema
	EDGECOST_CODEGEN=1 $(CARGO) test --locked -p edgecost-planner --test plan_file
	EDGECOST_CODEGEN=1 $(CARGO) test --locked -p edgecost-desktop --test bindings

bench: setup
	$(CARGO) bench --locked -p edgecost-pricing --bench rating
	$(CARGO) bench --locked -p edgecost-planner --bench estimator
	$(CARGO) bench --locked -p edgecost-charts --bench render -- --warm-up-time 1 --measurement-time 2
	$(CARGO) bench --locked -p edgecost-engine --bench engine
	$(CARGO) bench --locked -p edgecost-server --bench http
	$(CARGO) bench --locked -p edgecost-desktop --bench plan_session
	$(CARGO) build --locked --profile release-app -p edgecost-app --features custom-protocol --bin edgecost-app --example minimal_window
	$(CARGO) build --locked --release -p edgecost --bin edgecost
	@echo "release binaries (what the package installs):"
	@stat -c '%s %n' target/release-app/edgecost-app target/release/edgecost | awk '{ printf "  %-32s %6.1f MiB\n", $$2, $$1 / 1048576 }'
	$(HEADLESS) $(CARGO) run --locked -p edgecost-e2e --example bench_app
	EDGECOST_APP=$(CURDIR)/target/release-app/edgecost-app $(HEADLESS) $(CARGO) bench --locked -p edgecost-e2e --bench planner_latency --profile dev

# Five minutes of sustained ingest (10,000 records/s) against `edgecost serve` while four
# readers ask for bills and 90-day usage: per-minute p50/p99 and the server's memory.
soak: setup
	$(CARGO) bench --locked -p edgecost --bench soak

screenshots: setup
	$(CARGO) build --locked -p edgecost-app
	$(HEADLESS) $(CARGO) run --locked -p edgecost-e2e --example screenshots

# Property tests at scale over every parser (price books, plan files, usage exports, CLI flags)
# and every rating path (bills, comparisons, projections, attribution, splits), fed extreme
# magnitudes: each must answer a value or a clean error, never panic. FUZZ_CASES cases per test,
# stopped after FUZZ_SECONDS; `make test` runs the same tests at the default 256 cases.
FUZZ_CASES ?= 20000
FUZZ_SECONDS ?= 1200
.PHONY: fuzz
fuzz:
	PROPTEST_CASES=$(FUZZ_CASES) timeout $(FUZZ_SECONDS) $(CARGO) test --locked -p edgecost-pricing -p edgecost-planner -p edgecost -- extreme never_a_panic allocations_always percentages_total
