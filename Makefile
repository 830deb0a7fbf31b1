# edms — the two commands a newcomer needs are `make demo` and `make test`.
# Both install the Debian packages they need when missing (scripts/install-deps.sh).

GO        ?= go
# Packages with concurrency (numbering, audit chain, sessions, policy reload, HTTP, the signing agent)
# run under the race detector.
RACE_PKGS := ./internal/store/... ./internal/access/... ./internal/audit/... ./internal/docs/... ./internal/web/... ./internal/liaison/... ./internal/agent/...

.PHONY: demo test build deps-demo deps-test bench fuzz screenshots

demo: deps-demo
	$(GO) run ./cmd/edms demo

test: deps-test
	$(GO) vet ./...
	$(GO) test -race -timeout 30m $(RACE_PKGS)
	$(GO) test -run '^TestConcurrentWritersNeverHang$$' ./internal/web/
	$(GO) test -timeout 40m $(shell $(GO) list ./... | grep -v -E '/internal/(store|access|audit|docs|web|liaison|agent)(/|$$)')

build:
	$(GO) build -o edms ./cmd/edms

deps-demo:
	@scripts/install-deps.sh demo

deps-test:
	@scripts/install-deps.sh test

# The README's screenshots, taken in Chromium from the seeded demo (signed documents).
screenshots: deps-test
	mkdir -p docs/screenshots
	EDMS_README_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run '^TestDesktopLayoutInChromium$$' ./internal/web/

bench: deps-test
	$(GO) test -run '^$$' -bench . -benchmem ./...
