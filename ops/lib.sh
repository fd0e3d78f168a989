# Shared steps of ops/run.sh and ops/test.sh: system packages and PostgreSQL.
# Sourced, not run. Every function stops the script with a message naming what is
# missing when it cannot provide it.

log() { printf '[phetools] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Debian packages the service needs at run time, by the command that proves each one.
declare -A RUNTIME_PACKAGES=(
	[djvutxt]=djvulibre-bin
	[djvused]=djvulibre-bin
	[pdftotext]=poppler-utils
	[pdfinfo]=poppler-utils
	[psql]=postgresql-client
	[pg_ctlcluster]=postgresql
	[pgbench]=postgresql-contrib
	[curl]=curl
	[tesseract]=tesseract-ocr
	[wrk]=wrk
)

# tesseract models the OCR tests and the default set-up use (osd turns pages upright).
OCR_MODEL_PACKAGES=(tesseract-ocr-eng tesseract-ocr-osd tesseract-ocr-fra tesseract-ocr-deu tesseract-ocr-ita
	tesseract-ocr-lat tesseract-ocr-nor tesseract-ocr-frk)

# Headers and libclang for building the tesseract and leptonica bindings.
OCR_BUILD_PACKAGES=(libtesseract-dev libleptonica-dev clang libclang-dev pkg-config)

# Installs the Debian packages named in the arguments that are not installed yet.
# Without root (or apt) it stops and lists them.
install_packages() {
	local missing=()
	local package
	for package in "$@"; do
		dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
		die "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}"
	fi
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# NOTE: the package lists are refreshed only when an install is needed.
	apt-get update -qq || die "apt-get update failed; check the machine's Debian sources"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
		|| die "apt-get install ${missing[*]} failed"
}

install_runtime_packages() {
	install_packages "${RUNTIME_PACKAGES[@]}" ca-certificates "${OCR_MODEL_PACKAGES[@]}" "${OCR_BUILD_PACKAGES[@]}"
	local command
	for command in "${!RUNTIME_PACKAGES[@]}"; do
		command -v "$command" >/dev/null || [ -x "/usr/bin/$command" ] \
			|| die "command $command not found although package ${RUNTIME_PACKAGES[$command]} is installed"
	done
}

require_cargo() {
	command -v cargo >/dev/null && return 0
	[ -x "$HOME/.cargo/bin/cargo" ] && { export PATH="$HOME/.cargo/bin:$PATH"; return 0; }
	die "cargo not found; install Rust 1.88 or newer with rustup (https://rustup.rs), then run this command again"
}

# Starts the local PostgreSQL cluster when nothing accepts connections on 127.0.0.1:5432.
ensure_postgres_running() {
	if pg_isready -q -h 127.0.0.1 -p 5432; then
		return 0
	fi
	local version
	version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
	[ -n "$version" ] || die "PostgreSQL is not running on 127.0.0.1:5432 and no cluster exists in /etc/postgresql; install package postgresql"
	log "starting PostgreSQL $version"
	pg_ctlcluster --skip-systemctl-redirect "$version" main start \
		|| die "could not start PostgreSQL $version (see /var/log/postgresql/postgresql-$version-main.log)"
	for _ in $(seq 1 30); do
		pg_isready -q -h 127.0.0.1 -p 5432 && return 0
		sleep 1
	done
	die "PostgreSQL $version did not accept connections on 127.0.0.1:5432 within 30 s"
}

# Runs psql as the cluster's superuser: over 127.0.0.1 where trust authentication
# allows it, otherwise through the local socket as the postgres system user.
psql_admin() {
	if psql -h 127.0.0.1 -U postgres -d postgres -tAqc 'SELECT 1' >/dev/null 2>&1; then
		psql -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 -tAq "$@"
	elif [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- psql -d postgres -v ON_ERROR_STOP=1 -tAq "$@"
	else
		die "cannot connect to PostgreSQL as its superuser; set DATABASE_URL to a database you own"
	fi
}

# Creates a login role with a password and a database it owns, when missing.
# Arguments: role, password, database, extra role options (e.g. CREATEDB).
ensure_database() {
	local role=$1 password=$2 database=$3 options=${4:-}
	psql_admin -c "DO \$\$ BEGIN
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
			CREATE ROLE $role LOGIN PASSWORD '$password' $options;
		END IF; END \$\$;" >/dev/null
	if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" ]; then
		psql_admin -c "CREATE DATABASE $database OWNER $role" >/dev/null
	fi
}
