# Run `make help` for the targets.
GO ?= go
BIN := bin/keptn-api

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: generate
generate: ## Regenerate restapi/, models/ and client/ from swagger/
	./scripts/generate.sh

.PHONY: verify
verify: generate ## Fail when the generated code differs from the specs, or go.mod is untidy
	$(GO) mod tidy
	git diff --exit-code -- restapi models client go.mod go.sum
	@untracked=$$(git ls-files --others --exclude-standard restapi models client); \
	if [ -n "$$untracked" ]; then echo "untracked generated files:"; echo "$$untracked"; exit 1; fi
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted:"; echo "$$unformatted"; exit 1; fi

.PHONY: build
build: ## Build the server binary into bin/
	$(GO) build -o $(BIN) ./cmd/keptn-api

.PHONY: run
run: ## Run the server on the embedded store in ./keptn-data
	$(GO) run ./cmd/keptn-api

.PHONY: test
test: ## Run every test, with the race detector
	$(GO) test -race -count=1 ./...

.PHONY: bench
bench: ## Benchmark the server on loopback against a static ceiling; rewrites docs/benchmarks.md
	$(GO) run ./cmd/keptn-api-bench $(BENCH_FLAGS)
