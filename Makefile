# The two set-up commands of the README are `make devnet` and `make test`; both need only Go.
GO ?= go

.PHONY: devnet test build fuzz bench

# devnet runs a one-validator development network in ~/.hermetic (Ctrl-C to stop; run again to resume).
devnet:
	$(GO) run ./cmd/hermeticd devnet

# test runs every test, the end-to-end ones included (each package builds what it needs).
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 14m ./...

build:
	$(GO) build -o bin/hermeticd ./cmd/hermeticd
	$(GO) build -o bin/hermetic-edge ./cmd/hermetic-edge
