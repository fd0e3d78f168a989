#!/usr/bin/env bash
# Fuzzes the parsers of crates/proofread (Page wikitext, <pagelist>, <pages>, Page titles)
# with libFuzzer through cargo-fuzz: builds every target, then runs each for SECONDS
# (default 30) from the seed inputs in crates/proofread/fuzz/seeds/. Fails on the first
# panic, timeout or memory blow-up and names the file that reproduces it.
#
# Usage: ops/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. ops/lib.sh

seconds=${1:-30}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "invalid duration '$seconds': give the seconds per fuzz target as a positive integer"

CARGO_FUZZ_VERSION=0.13.2
FUZZ_DIR=crates/proofread/fuzz

require_cargo
# libfuzzer-sys compiles libFuzzer's C++ sources.
install_packages g++ libc6-dev
if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
	log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
	cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION" \
		|| die "cargo install cargo-fuzz $CARGO_FUZZ_VERSION failed; check access to crates.io"
fi

# cargo-fuzz passes unstable -Z and -C flags (coverage instrumentation) to rustc, which
# the stable toolchain accepts under RUSTC_BOOTSTRAP. The targets run without a
# sanitizer (the crate has no unsafe code) and with debug assertions, so an integer
# overflow panics too.
export RUSTC_BOOTSTRAP=1
fuzz_flags=(--fuzz-dir "$FUZZ_DIR" --target-dir "${CARGO_TARGET_DIR:-target}/fuzz" --sanitizer none --debug-assertions)

log "building the fuzz targets"
cargo fuzz build "${fuzz_flags[@]}" || die "building the fuzz targets in $FUZZ_DIR failed"

corpus_root=$(mktemp -d /tmp/phetools-fuzz.XXXXXX)
trap 'rm -rf "$corpus_root"' EXIT

for target in $(cargo fuzz list --fuzz-dir "$FUZZ_DIR"); do
	mkdir -p "$corpus_root/$target"
	log "fuzzing $target for $seconds s"
	if ! cargo fuzz run "${fuzz_flags[@]}" "$target" "$corpus_root/$target" "$FUZZ_DIR/seeds/$target" -- \
		-max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
		>"$corpus_root/$target.log" 2>&1; then
		tail -n 40 "$corpus_root/$target.log" >&2
		die "fuzz target $target failed; the input is in $FUZZ_DIR/artifacts/$target/, replay it with: RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir $FUZZ_DIR --sanitizer none $target <file>"
	fi
	log "$target: $(grep -E '^Done [0-9]+ runs' "$corpus_root/$target.log" || echo 'finished')"
done
log "all fuzz targets ran $seconds s each without a failure"
