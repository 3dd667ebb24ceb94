# fleet: build, test, demo, lint, fuzz, bench.
GO          ?= go
BIN         := bin/fleet
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT      ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS     := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

# Fuzz targets as PACKAGE:FUZZNAME; `make fuzz` runs each for FUZZTIME. The default is a count
# of executions, not a duration: Go 1.26's fuzzing coordinator can fail a target with a bare
# "context deadline exceeded" when a duration ends (go.dev/issue/75804, fixed in Go 1.27).
# FUZZTIME=10m still fuzzes for a while.
FUZZ_TARGETS ?= ./spec:FuzzLoad ./internal/cvm:FuzzParseResponse ./internal/cvmsim:FuzzRequest ./internal/state:FuzzRead ./internal/state:FuzzFastDecode ./internal/secret:FuzzMask
FUZZTIME     ?= 5000x

.PHONY: all build test unit pg-check lint fmt-check vet staticcheck fuzz bench demo demo-pg test-crash clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/fleet

## test: everything CI runs: formatting, vet, staticcheck, the race-enabled tests, a fuzz smoke.
test: pg-check lint unit fuzz

unit: pg-check
	$(GO) test -race -count=1 ./...

## pg-check: stop at once when the PostgreSQL server binaries the tests run are missing.
pg-check:
	@if { command -v initdb && command -v pg_ctl; } >/dev/null 2>&1 || \
	   ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then :; else \
		echo 'PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian'"'"'s "postgresql" package (apt-get install postgresql)' >&2; \
		exit 1; \
	fi

lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run $(STATICCHECK) ./...

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x ./...

demo: build
	bash scripts/demo.sh

## demo-pg: the demo with its state in a throwaway PostgreSQL server.
demo-pg: build pg-check
	FLEET_DEMO_BACKEND=postgres $(GO) run ./internal/pgtest/cmd/pgtmp -- bash scripts/demo.sh

## test-crash: kill the real binary with SIGKILL at random moments of an apply that buys or renews, CRASH_TRIALS times.
CRASH_TRIALS ?= 20
test-crash: pg-check
	FLEET_CRASH_TRIALS=$(CRASH_TRIALS) $(GO) test -race -count=1 -timeout 60m -run '^(TestApplyCrash(Postgres)?|TestRenewCrash)$$' -v ./cmd/fleet

clean:
	rm -rf bin
