# Databricks Usage Copilot. The two commands a user needs: `make app` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := app

export PATH := $(HOME)/.cargo/bin:$(CURDIR)/node_modules/.bin:$(PATH)
BIN := target/release
DB := public/data/usage_rag_data.db
PORT ?= 8080
MODEL_DIR := .cache/models/all-MiniLM-L6-v2
DOCS_DIR := public/docs
CORPUS := build-tools/docs-corpus
CORPUS_PAGES := $(shell find $(CORPUS) -name '*.md')
DISTILL_CODE := $(wildcard build-tools/model/src/*.rs) src/retrieval/embed.rs src/retrieval/wordpiece.rs
INDEX_CODE := $(wildcard src/retrieval/*.rs build-tools/cli/src/*.rs)
EVAL_QUESTIONS := $(wildcard $(CORPUS)/eval/*.toml)
CEILING := target/docs/minilm-ceiling.json
# The page's ECharts: only the chart types and components src/charts/ uses (index.html loads it).
ECHARTS := target/echarts/echarts.custom.min.js
# The build id shown in the page, in version.json and in the service worker's cache name.
export COPILOT_BUILD_ID ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo dev)

.PHONY: all setup tools model-tools db docs index dist parquet-module app test lint test-rust test-docs test-spark test-e2e bench eval clean

## all: everything the app serves (tools, seeded DB, wasm build), without serving it
all: dist

## setup: install missing build and test tools (pinned versions; fast when present)
setup:
	@build-tools/setup.sh

## tools: build the native `copilot` CLI and `copilot-proxy`
tools:
	cargo build --release -p copilot-cli -p copilot-proxy

## model-tools: build `copilot-model` (candle: distilling the static model, the MiniLM ceiling)
model-tools:
	cargo build --release -p copilot-model

## db: generate the deterministic seeded usage database
db: tools
	$(BIN)/copilot db --lean --out $(DB)

## docs: the docs index, the static embedding model and the MiniLM ceiling of the retrieval
## evaluation (downloads MiniLM once into .cache/)
docs: tools $(DOCS_DIR)/docs-index.bin $(CEILING)

$(MODEL_DIR)/model.safetensors:
	build-tools/fetch-model.sh $(MODEL_DIR)

$(DOCS_DIR)/static-model.bin: $(MODEL_DIR)/model.safetensors $(DISTILL_CODE) | model-tools
	$(BIN)/copilot-model distill --teacher $(MODEL_DIR) --out $@

$(DOCS_DIR)/docs-index.bin: $(DOCS_DIR)/static-model.bin $(CORPUS_PAGES) $(INDEX_CODE) | tools
	$(BIN)/copilot docs build --corpus $(CORPUS) --model $(DOCS_DIR)/static-model.bin --out $@

$(CEILING): $(DOCS_DIR)/docs-index.bin $(EVAL_QUESTIONS) | model-tools
	$(BIN)/copilot-model ceiling --teacher $(MODEL_DIR) --index $(DOCS_DIR)/docs-index.bin --questions $(CORPUS)/eval --out $@

## index: the telemetry index of the seeded DB (the browser builds the same for any DB it loads)
index: db docs
	$(BIN)/copilot index --db $(DB) --model $(DOCS_DIR)/static-model.bin --out target/docs/telemetry-index.bin

## dist: the static site in dist/ (hashed wasm/JS/CSS, ECharts, seeded DB, docs index and
## model, config.json, version.json, service worker, gzip + brotli copies), relative URLs so it
## can be hosted under any path
dist: setup db docs $(ECHARTS)
	trunk build --release --public-url ./
	$(MAKE) --no-print-directory parquet-module
	node build-tools/web/postbuild.mjs dist $(COPILOT_BUILD_ID)

# The browser's Parquet reader, a module of its own that the engine's worker loads only when
# a Parquet file is dropped (crates/parquet-rows with its `web` feature).
PARQUET_WASM := target/wasm32-unknown-unknown/wasm-release/parquet_rows.wasm
parquet-module:
	cargo build --profile wasm-release --target wasm32-unknown-unknown -p parquet-rows --features web
	wasm-bindgen --target web --no-typescript --out-dir dist/parquet $(PARQUET_WASM)
	node_modules/.bin/wasm-opt -Oz dist/parquet/parquet_rows_bg.wasm -o dist/parquet/parquet_rows_bg.wasm

# ECharts bundled by esbuild from the npm package's ES modules (see build-tools/web/echarts-entry.mjs).
$(ECHARTS): build-tools/web/echarts-entry.mjs build-tools/web/echarts-bundle.mjs package-lock.json | setup
	node build-tools/web/echarts-bundle.mjs $@

## app: build everything and serve it at http://localhost:$(PORT)
app: dist tools
	@echo "Serving Databricks Usage Copilot at http://localhost:$(PORT) (Ctrl-C to stop)"
	PROXY_ADDR=127.0.0.1:$(PORT) DIST_DIR=dist $(BIN)/copilot-proxy

## test: formatting and lints, native Rust tests, retrieval evaluation, then browser tests
## in headless Chromium
test: lint test-rust test-docs test-spark test-e2e

## lint: rustfmt and clippy (warnings are errors), natively and for the browser build
lint: setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown -p usage-copilot --lib --bins -- -D warnings
	cargo clippy --target wasm32-unknown-unknown -p parquet-rows --features web -- -D warnings

# COPILOT_REQUIRE_DOCS: the copilot tests must use the real docs index and model (a plain
# `cargo test` without them falls back to BM25 over the committed corpus).
test-rust: setup docs
	COPILOT_REQUIRE_DOCS=1 cargo test --workspace

## test-spark: sql/extract/ on local Spark over the fixtures: EXPECTED.md's figures, and outputs
## byte-identical to tests/fixtures/system-tables-extracted/ (which tests/engine/extract.rs imports)
test-spark: setup
	tests/spark/run.sh target/spark-extract

test-docs: docs index
	$(BIN)/copilot docs eval --check

# Two test files at a time (node's default is one on 2 cores): each drives its own page and
# server, and much of a browser test is waiting on the page, so two overlap well.
test-e2e: dist tools
	node build-tools/web/size-budget.mjs dist
	node --test --test-concurrency=2 tests/e2e/

## bench: benchmarks, printed as medians and ratios against a baseline measured in the same run;
## bench/duckdb.mjs compares the app with DuckDB-WASM and native SQLite on the seeded DB, and on
## BENCH_VS_DB too when set (e.g. BENCH_VS_DB=target/bench/scaled-3200x180.db, which
## bench/reports.mjs generates)
bench: dist tools
	node bench/reports.mjs
	node bench/duckdb.mjs
	node bench/docs.mjs
	node bench/import.mjs
	node bench/proxy.mjs

## eval: the default evaluation suite answered offline, scored into target/eval/ (fails on a miss)
eval: db docs
	$(BIN)/copilot eval --offline --db public/data/usage_rag_data.db --out target/eval --baseline eval/scorecards/offline/scorecard.json --check

## clean: remove build output and generated data
clean:
	cargo clean
	rm -rf dist public/data public/docs
