# Kaiban — the two commands a newcomer needs are `make run` and `make test`.
# Everything else here is what those two are built from.

GO       ?= go
MODULES  := chaincode network services
BIN      := $(CURDIR)/bin
FUZZTIME ?= 1000x

.PHONY: run test build vet bench fuzz generate portal clean

## run: the whole platform on the embedded devnet (kaiban dev; ARGS="..." passes flags).
run: portal
	@scripts/run.sh $(ARGS)

## test: vet, every test with coverage gates, and a brief run of every fuzz target.
test:
	@FUZZTIME=$(FUZZTIME) scripts/test.sh

## build: every binary into ./bin.
build: portal
	@mkdir -p $(BIN)
	cd chaincode && $(GO) build -o $(BIN)/ ./cmd/...
	@if [ -d network/cmd ]; then cd network && $(GO) build -o $(BIN)/ ./cmd/...; fi
	@if [ -d services/cmd ]; then cd services && $(GO) build -o $(BIN)/ ./cmd/...; fi

vet:
	@for m in $(MODULES); do (cd $$m && $(GO) vet ./...) || exit 1; done

## bench: every benchmark once (figures for the notes; nothing is asserted).
bench:
	@for m in $(MODULES); do (cd $$m && $(GO) test -run '^$$' -bench . -benchmem ./...) || exit 1; done

## generate: the code derived from api-spec/openapi.yaml (server interfaces and
## models with oapi-codegen, the embedded copy of the contract, the portal's
## API types and permissions) and the config reference of docs/services.md; a
## test fails when any of them is stale.
generate: services/web/node_modules/.package-lock.json
	cd services && $(GO) generate ./internal/httpapi/... ./internal/config/...
	cd services/web && npm run --silent gen:api

## fuzz: every fuzz target for FUZZTIME each (default 1000x executions; try FUZZTIME=1m).
fuzz:
	@FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

## portal: the web portal (services/web, npm) built into
## services/internal/portal/dist, which the kaiban binary embeds. The Go
## build does not need it: without it kaiban serves a page saying so.
WEB := services/web
portal: $(WEB)/node_modules/.package-lock.json
	cd $(WEB) && npm run build

$(WEB)/node_modules/.package-lock.json: $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund

clean:
	rm -rf $(BIN) coverage
