#!/usr/bin/env bash
# Starts the whole service on this machine against live Wikimedia: EventStreams
# consumer, workers and web server in one process (`phetools run`). Installs or
# starts what it needs: djvulibre, poppler and a local PostgreSQL with a database
# `phetools`. Settings: docs/configuration.md. Extra arguments go to `phetools run`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. ops/lib.sh

require_cargo
install_runtime_packages
install_packages gcc libc6-dev

# Without DATABASE_URL, use a local database whose connection URL (with a generated
# password) is kept in a file only its owner can read.
if [ -z "${DATABASE_URL:-}" ] && [ -z "${PHETOOLS_DATABASE_URL_FILE:-}" ]; then
	ensure_postgres_running
	secret_dir=${XDG_CONFIG_HOME:-$HOME/.config}/phetools
	export PHETOOLS_DATABASE_URL_FILE="$secret_dir/database-url"
	if [ ! -s "$PHETOOLS_DATABASE_URL_FILE" ]; then
		mkdir -p "$secret_dir" && chmod 700 "$secret_dir"
		password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
		ensure_database phetools "$password" phetools
		psql_admin -c "ALTER ROLE phetools PASSWORD '$password'" >/dev/null
		(umask 077 && printf 'postgres://phetools:%s@127.0.0.1:5432/phetools\n' "$password" > "$PHETOOLS_DATABASE_URL_FILE")
		log "database credentials written to $PHETOOLS_DATABASE_URL_FILE"
	fi
fi

log "building phetools (release)"
cargo build --release --locked --bin phetools
# Statistics jobs start for a wiki once its configuration row exists. The
# refresh job (one per UTC day at most) fills the rows now, so a new
# installation does not wait for the daily refresh time.
target/release/phetools stats refresh-config
log "starting phetools run (it applies the migrations first); stop it with Ctrl-C"
exec target/release/phetools run "$@"
