#!/usr/bin/env bash
# Runs the whole test suite on this machine: installs or starts what the tests need
# (PostgreSQL, djvulibre, poppler, a throwaway MediaWiki 1.39 on loopback), then
# `cargo test` over the workspace, then a bounded fuzzing run of the ProofreadPage
# parsers. Extra arguments go to `cargo test`. PHETOOLS_FUZZ_SECONDS sets the seconds
# per fuzz target (default 20; 0 skips fuzzing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. ops/lib.sh

require_cargo
install_runtime_packages
install_packages gcc libc6-dev
# Headless Chromium takes the screenshot of /stats/{wiki} in tests/stats_screenshot.rs.
install_packages chromium
ensure_postgres_running

# Each test creates its own database through this role (sqlx::test), so the role
# needs CREATEDB and its own maintenance database. The password only protects a
# loopback test cluster.
if [ -z "${DATABASE_URL:-}" ]; then
	ensure_database phetools_test phetools_test phetools_test CREATEDB
	export DATABASE_URL=postgres://phetools_test:phetools_test@127.0.0.1:5432/phetools_test
fi

# A private MediaWiki for the tests that read imageinfo and download files.
export MW_PORT=${MW_PORT:-18080}
if [ -z "${MW_WIKI_DIR:-}" ]; then
	MW_WIKI_DIR=$(mktemp -d /tmp/phetools-test-wiki.XXXXXX)
	remove_wiki_dir=1
fi
export MW_WIKI_DIR
ops/mediawiki-test-wiki.sh install
ops/mediawiki-test-wiki.sh setup --proofread-shim
ops/mediawiki-test-wiki.sh start
trap 'ops/mediawiki-test-wiki.sh stop || true; [ -z "${remove_wiki_dir:-}" ] || rm -rf "$MW_WIKI_DIR"' EXIT
eval "$(ops/mediawiki-test-wiki.sh env)"
export PHETOOLS_TEST_WIKI_DIR="$MW_WIKI_DIR"

log "running cargo test (DATABASE_URL points at 127.0.0.1:5432, wiki at $PHETOOLS_TEST_WIKI_API)"
test_status=0
cargo test --workspace --locked --no-fail-fast "$@" || test_status=$?

fuzz_seconds=${PHETOOLS_FUZZ_SECONDS:-20}
fuzz_status=0
if [ "$fuzz_seconds" != 0 ]; then
	log "fuzzing the ProofreadPage parsers for $fuzz_seconds s per target"
	ops/fuzz.sh "$fuzz_seconds" || fuzz_status=$?
fi

[ "$test_status" -eq 0 ] || die "cargo test failed (exit status $test_status)"
[ "$fuzz_status" -eq 0 ] || die "fuzzing failed (exit status $fuzz_status)"
