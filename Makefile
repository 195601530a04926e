# Databricks Usage Copilot. The two commands a user needs: `make app` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := app

export PATH := $(HOME)/.cargo/bin:$(CURDIR)/node_modules/.bin:$(PATH)
BIN := target/release
DB := public/data/usage_rag_data.db
PORT ?= 8080

.PHONY: all setup tools db dist app test test-rust test-e2e bench clean

## all: everything the app serves (tools, seeded DB, wasm build), without serving it
all: dist

## setup: install missing build and test tools (pinned versions; fast when present)
setup:
	@build-tools/setup.sh

## tools: build the native `copilot` CLI and `copilot-proxy` server
tools:
	cargo build --release -p build-tools --bins

## db: generate the deterministic seeded usage database
db: tools
	$(BIN)/copilot db --out $(DB)

## dist: build the browser app into dist/ (wasm, ECharts, seeded DB)
dist: setup db
	trunk build --release

## app: build everything and serve it at http://localhost:$(PORT)
app: dist tools
	@echo "Serving Databricks Usage Copilot at http://localhost:$(PORT) (Ctrl-C to stop)"
	PROXY_ADDR=127.0.0.1:$(PORT) DIST_DIR=dist $(BIN)/copilot-proxy

## test: native Rust tests, then browser tests in headless Chromium
test: test-rust test-e2e

test-rust: setup
	cargo test --workspace

test-e2e: dist tools
	node --test tests/e2e/

## bench: benchmarks, printed as medians and ratios against a baseline measured in the same run
bench: dist tools
	node bench/reports.mjs
	node bench/proxy.mjs

## clean: remove build output and generated data
clean:
	cargo clean
	rm -rf dist public/data
