#!/usr/bin/env bash
# mediawiki-test-wiki.sh: a throw-away MediaWiki 1.39 wiki on loopback for the
# integration tests, built from Debian bookworm packages only.
#
# Usage: ops/mediawiki-test-wiki.sh COMMAND [ARGS]
#
#   install            Check for the Debian packages the wiki needs. When some are
#                      missing, install them with apt-get if run as root, otherwise
#                      name them and exit with status 1.
#   setup [--proofread-shim]
#                      (Re)create the wiki in $MW_WIKI_DIR: install.php on SQLite,
#                      the settings below, the test accounts and the fixture files.
#                      Stops a server of that directory first. --proofread-shim
#                      also installs the ProofreadPage stand-in of ops/proofread-shim/
#                      (see its README.md) for the statistics tests.
#   start              Start PHP's built-in server on 127.0.0.1:$MW_PORT and wait
#                      until the API responds. The pid is in $MW_WIKI_DIR/server.pid.
#   stop               Stop that server, by its pid.
#   status             Exit 0 when the server of $MW_WIKI_DIR responds, 1 otherwise.
#   import FILE [NAME] Upload FILE as File:NAME (default: the base name of FILE).
#                      An existing NAME gets FILE as its new version.
#   delete TITLE       Delete the page TITLE as Admin (deleteBatch.php), then run
#                      the job queue so that links and categories follow.
#   run-jobs           Run the wiki's job queue (runJobs.php) to its end.
#   env                Print the variables a test command exports (see below).
#
# A test command runs, with the same MW_PORT and MW_WIKI_DIR for every step:
#
#   ops/mediawiki-test-wiki.sh install
#   ops/mediawiki-test-wiki.sh setup
#   ops/mediawiki-test-wiki.sh start
#   trap 'ops/mediawiki-test-wiki.sh stop' EXIT
#   eval "$(ops/mediawiki-test-wiki.sh env)"
#   cargo test ...
#
# `env` prints:
#   PHETOOLS_TEST_WIKI_API=http://127.0.0.1:$MW_PORT/api.php   Action API of the wiki
#   PHETOOLS_TEST_WIKI_BOT_USER=PheBot@phebot                  bot password login name
#   PHETOOLS_TEST_WIKI_BOT_PASSWORD=...                        test-only secret
#   PHETOOLS_TEST_WIKI_OTHER_USER=OtherUser@other              a second, non-bot login
#   PHETOOLS_TEST_WIKI_OTHER_PASSWORD=...                      test-only secret
#   PHETOOLS_TEST_WIKI_DIR=$MW_WIKI_DIR                       for tests that run `import`
#   PHETOOLS_TEST_WIKI_PROOFREAD_SHIM=1                        only when setup had --proofread-shim
# Tests that use the wiki read PHETOOLS_TEST_WIKI_API and skip, with a message,
# only when it is unset. Uploads are served from http://127.0.0.1:$MW_PORT/images/.
#
# Environment (defaults):
#   MW_PORT=18080                loopback port; $wgServer carries it, so start the
#                                server on the port that `setup` used
#   MW_WIKI_DIR=/tmp/phetools-mw every file of the wiki: LocalSettings.php, SQLite
#                                database, uploads, logs. MediaWiki's code stays
#                                read-only in $MW_HOME.
#   MW_HOME=/usr/share/mediawiki MediaWiki code (Debian package `mediawiki`)
#   MW_EXTRA_SETTINGS            a PHP file appended to LocalSettings.php by `setup`
#
# The wiki that `setup` makes:
#   * Uploads enabled, with djvu and pdf allowed. The core DjVu handler uses
#     djvudump, ddjvu and djvutxt. PdfHandler, shipped in Debian's mediawiki
#     package, uses pdfinfo and pdftotext.
#   * Namespaces Page (104), Page talk (105), Index (106), Index talk (107), as
#     plain wikitext namespaces: ProofreadPage is not packaged in Debian.
#   * Bot passwords enabled. Creating $MW_WIKI_DIR/readonly.lock (its text is the
#     reason) makes the wiki read-only until the file is removed.
#   * Accounts (test-only secrets):
#       Admin     password Admin-pass-2024!                      sysop, bureaucrat
#       PheBot    group bot; bot password PheBot@phebot = $BOT_PASS below, grants
#                 basic, highvolume, editpage, createeditmovepage, uploadfile
#       OtherUser no group; bot password OtherUser@other = $OTHER_PASS below,
#                 grants basic, editpage, createeditmovepage. Tests edit as a
#                 second person with it, e.g. to provoke an edit conflict.
#     A bot password must match [0-9a-w]{32,}. MediaWiki treats any other value as
#     a main password, and the login then fails with `wrongpassword`.
#   * Files, from tests/fixtures/textlayer/ (see its README.md):
#       File:Test.djvu         pywikibot-myfile-4pages-with-text.djvu (4 pages, text)
#       File:Test-no-text.djvu pywikibot-myfile-wo-text.djvu (4 pages, no text)
#       File:Test.pdf          synthetic-2pages.pdf (2 pages, text)
#       File:Kjv-genesis-numbers.djvu   kjv-genesis-numbers.djvu (325 pages)
#       File:Kjv-genesis-numbers-p1-4.pdf kjv-genesis-numbers.p1-4.pdf (4 pages)
#   * With --proofread-shim: a <pagequality level="N" /> tag that sets the page
#     property proofread_page_quality_level and the en.wikisource quality
#     category, and the __DISAMBIG__ magic word (page property disambiguation).
#     The marker file $MW_WIKI_DIR/.proofread-shim records the option.
#   * Test-only routes of the server's router (router.php):
#       /images/PATH?no-content-length  serves the upload without Content-Length
#       /test-redirect?to=URL           responds 302 with Location: URL
#
# Tests that use the wiki should use their own page titles: the one PHP process
# serves one request at a time, and tests of several crates may share it.
set -euo pipefail

MW_PORT=${MW_PORT:-18080}
MW_WIKI_DIR=${MW_WIKI_DIR:-/tmp/phetools-mw}
MW_HOME=${MW_HOME:-/usr/share/mediawiki}
MW_EXTRA_SETTINGS=${MW_EXTRA_SETTINGS:-}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIXTURES="$REPO/tests/fixtures/textlayer"
SHIM="$REPO/ops/proofread-shim"
SERVER="http://127.0.0.1:$MW_PORT"
API="$SERVER/api.php"
# MediaWiki 1.39 reads the location of LocalSettings.php from this variable, both
# in maintenance scripts and in the web server.
export MW_CONFIG_FILE="$MW_WIKI_DIR/LocalSettings.php"

ADMIN_PASS='Admin-pass-2024!'
BOT_USER=PheBot
BOT_APP=phebot
BOT_PASS=0123456789abcdefghijklmnopqrstuv
OTHER_USER=OtherUser
OTHER_APP=other
OTHER_PASS=abcdefghijklmnopqrstuv0123456789

# Packages and what needs them. php8.2-cgi and micro-httpd satisfy the
# dependencies of `mediawiki` on a PHP SAPI and on httpd; without them apt picks
# apache2 and libapache2-mod-php8.2.
PACKAGES="mediawiki php8.2-cgi micro-httpd php-cli php-sqlite3 php-intl php-mbstring php-xml djvulibre-bin poppler-utils netpbm curl"

log() { printf '[mediawiki-test-wiki] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
mwphp() { php "$MW_HOME/maintenance/$1" "${@:2}"; }

missing_packages() {
	local package missing=()
	for package in $PACKAGES; do
		if ! dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q '^install ok installed$'; then
			missing+=("$package")
		fi
	done
	echo "${missing[*]}"
}

cmd_install() {
	command -v dpkg-query >/dev/null || die "dpkg-query not found: this script needs Debian's packages (bookworm)"
	local missing
	missing=$(missing_packages)
	if [ -z "$missing" ]; then
		log "all packages are installed: $PACKAGES"
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		die "missing Debian packages: $missing. Install them as root: apt-get install --no-install-recommends $missing"
	fi
	log "installing: $missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086 # one word per package
	apt-get install -y -q --no-install-recommends $missing
}

check_ready_for_setup() {
	[ -f "$MW_HOME/maintenance/install.php" ] || die "no MediaWiki in $MW_HOME (run: $0 install)"
	local tool
	for tool in php djvudump ddjvu djvutxt pdfinfo pdftotext curl; do
		command -v "$tool" >/dev/null || die "$tool not found (run: $0 install)"
	done
	local fixture
	for fixture in pywikibot-myfile-4pages-with-text.djvu pywikibot-myfile-wo-text.djvu \
		synthetic-2pages.pdf kjv-genesis-numbers.djvu kjv-genesis-numbers.p1-4.pdf; do
		[ -f "$FIXTURES/$fixture" ] || die "missing fixture $FIXTURES/$fixture"
	done
}

# Deletes $MW_WIKI_DIR only when this script made it (marker file) or it is empty.
reset_wiki_dir() {
	if [ -d "$MW_WIKI_DIR" ] && [ -n "$(ls -A "$MW_WIKI_DIR")" ] && [ ! -f "$MW_WIKI_DIR/.phetools-test-wiki" ]; then
		die "$MW_WIKI_DIR exists and was not made by this script; choose another MW_WIKI_DIR"
	fi
	rm -rf "$MW_WIKI_DIR"
	mkdir -p "$MW_WIKI_DIR/data" "$MW_WIKI_DIR/images" "$MW_WIKI_DIR/import"
	touch "$MW_WIKI_DIR/.phetools-test-wiki"
}

write_settings() {
	cat >>"$MW_WIKI_DIR/LocalSettings.php" <<EOF

# ---- phetools test wiki, appended by ops/mediawiki-test-wiki.sh ----
\$wgShowExceptionDetails = true;
\$wgDebugLogGroups['exception'] = "$MW_WIKI_DIR/exception.log";
# Uploads live outside the MediaWiki code; router.php serves $SERVER/images/.
\$wgEnableUploads = true;
\$wgUploadDirectory = "$MW_WIKI_DIR/images";
\$wgUploadPath = "/images";
\$wgFileExtensions = array_merge( \$wgFileExtensions, [ 'djvu', 'pdf' ] );
\$wgUseImageMagick = false;
# The DjVu handler is enabled only when both djvudump and ddjvu are set; 1.39
# reads the page count and text layer with djvudump and djvutxt.
\$wgDjvuDump = '/usr/bin/djvudump';
\$wgDjvuRenderer = '/usr/bin/ddjvu';
\$wgDjvuTxt = '/usr/bin/djvutxt';
\$wgDjvuPostProcessor = '/usr/bin/pnmtojpeg';
# PdfHandler reads the page count with pdfinfo.
wfLoadExtension( 'PdfHandler' );
# ProofreadPage namespaces with en.wikisource's ids, as wikitext namespaces.
define( 'NS_PAGE', 104 );
define( 'NS_PAGE_TALK', 105 );
define( 'NS_INDEX', 106 );
define( 'NS_INDEX_TALK', 107 );
\$wgExtraNamespaces[NS_PAGE] = 'Page';
\$wgExtraNamespaces[NS_PAGE_TALK] = 'Page_talk';
\$wgExtraNamespaces[NS_INDEX] = 'Index';
\$wgExtraNamespaces[NS_INDEX_TALK] = 'Index_talk';
\$wgContentNamespaces[] = NS_PAGE;
\$wgEnableBotPasswords = true;
# While this file exists the wiki is read-only; its text is the reason.
\$wgReadOnlyFile = "$MW_WIKI_DIR/readonly.lock";
# Test loops must not hit the default limit of 90 edits per 60 s.
\$wgGroupPermissions['bot']['noratelimit'] = true;
EOF
	if [ -n "$MW_EXTRA_SETTINGS" ]; then
		[ -f "$MW_EXTRA_SETTINGS" ] || die "MW_EXTRA_SETTINGS=$MW_EXTRA_SETTINGS is not a file"
		# Drop an opening tag: the settings file already has one.
		sed '1{/^<?php/d}' "$MW_EXTRA_SETTINGS" >>"$MW_WIKI_DIR/LocalSettings.php"
	fi
}

write_router() {
	cat >"$MW_WIKI_DIR/router.php" <<'EOF'
<?php
// Router for PHP's built-in server. /images/* comes from MW_UPLOAD_DIR, which is
// outside the MediaWiki code; /test-redirect is a test-only route; everything
// else goes to MediaWiki (the server's document root).
$path = parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH );
$query = [];
parse_str( parse_url( $_SERVER['REQUEST_URI'], PHP_URL_QUERY ) ?? '', $query );

if ( $path === '/test-redirect' ) {
	header( 'Location: ' . ( $query['to'] ?? '/' ), true, 302 );
	return true;
}

if ( strncmp( $path, '/images/', 8 ) === 0 ) {
	$relative = rawurldecode( substr( $path, 8 ) );
	$file = getenv( 'MW_UPLOAD_DIR' ) . '/' . $relative;
	if ( strpos( $relative, '..' ) !== false || !is_file( $file ) ) {
		http_response_code( 404 );
		header( 'Content-Type: text/plain' );
		echo "404 Not Found\n";
		return true;
	}
	$types = [ 'djvu' => 'image/vnd.djvu', 'pdf' => 'application/pdf',
		'jpg' => 'image/jpeg', 'png' => 'image/png' ];
	$extension = strtolower( pathinfo( $file, PATHINFO_EXTENSION ) );
	header( 'Content-Type: ' . ( $types[$extension] ?? 'application/octet-stream' ) );
	if ( !array_key_exists( 'no-content-length', $query ) ) {
		header( 'Content-Length: ' . filesize( $file ) );
	}
	readfile( $file );
	return true;
}
return false;
EOF
}

create_accounts() {
	mwphp createAndPromote.php --bot "$BOT_USER" 'PheBot-main-pass-2024' >/dev/null
	mwphp createBotPassword.php --appid "$BOT_APP" \
		--grants basic,highvolume,editpage,createeditmovepage,uploadfile \
		"$BOT_USER" "$BOT_PASS" >/dev/null
	mwphp createAndPromote.php "$OTHER_USER" 'OtherUser-main-pass-2024' >/dev/null
	mwphp createBotPassword.php --appid "$OTHER_APP" --grants basic,editpage,createeditmovepage \
		"$OTHER_USER" "$OTHER_PASS" >/dev/null
}

# Appends the ProofreadPage stand-in to LocalSettings.php. Its settings file
# starts without an opening tag, and it loads Shim.i18n.magic.php from the
# directory of LocalSettings.php.
write_proofread_shim() {
	[ -f "$SHIM/LocalSettings.shim.php" ] || die "missing $SHIM/LocalSettings.shim.php"
	cp "$SHIM/Shim.i18n.magic.php" "$MW_WIKI_DIR/Shim.i18n.magic.php"
	sed '1{/^<?php/d}' "$SHIM/LocalSettings.shim.php" >>"$MW_WIKI_DIR/LocalSettings.php"
	touch "$MW_WIKI_DIR/.proofread-shim"
}

cmd_delete() {
	local title=${1:?usage: delete TITLE}
	[ -f "$MW_WIKI_DIR/LocalSettings.php" ] || die "no wiki in $MW_WIKI_DIR (run: $0 setup)"
	local output
	if ! output=$(printf '%s\n' "$title" | mwphp deleteBatch.php -u Admin -r 'phetools test' 2>&1); then
		printf '%s\n' "$output" >&2
		die "deletion of $title failed"
	fi
	cmd_run_jobs
	log "deleted $title"
}

cmd_run_jobs() {
	[ -f "$MW_WIKI_DIR/LocalSettings.php" ] || die "no wiki in $MW_WIKI_DIR (run: $0 setup)"
	mwphp runJobs.php --quiet >/dev/null
}

cmd_import() {
	local file=${1:?usage: import FILE [NAME]}
	local name=${2:-$(basename "$file")}
	[ -f "$file" ] || die "import: $file is not a file"
	[ -f "$MW_WIKI_DIR/LocalSettings.php" ] || die "no wiki in $MW_WIKI_DIR (run: $0 setup)"
	local staging="$MW_WIKI_DIR/import/staging"
	rm -rf "$staging"
	mkdir -p "$staging"
	cp "$file" "$staging/$name"
	# importImages.php takes a directory, so each file goes through its own one.
	local output
	if ! output=$(mwphp importImages.php --user "$BOT_USER" --comment 'phetools test fixture' \
		--overwrite --extensions "${name##*.}" "$staging" 2>&1); then
		printf '%s\n' "$output" >&2
		die "import of $file as File:$name failed"
	fi
	if ! grep -q '^\(Added\|Overwritten\): 1$' <<<"$output"; then
		printf '%s\n' "$output" >&2
		die "importImages.php did not import $file as File:$name"
	fi
	rm -rf "$staging"
	log "imported $file as File:$name"
}

cmd_setup() {
	local shim=
	case "${1:-}" in
	'') ;;
	--proofread-shim) shim=1 ;;
	*) die "setup: unknown option $1 (expected --proofread-shim or nothing)" ;;
	esac
	check_ready_for_setup
	cmd_stop
	reset_wiki_dir
	if ! mwphp install.php --dbtype sqlite --dbpath "$MW_WIKI_DIR/data" --dbname testwiki \
		--server "$SERVER" --scriptpath '' --lang en --pass "$ADMIN_PASS" \
		--confpath "$MW_WIKI_DIR" --skins Vector "Test Wikisource" Admin \
		>"$MW_WIKI_DIR/install.log" 2>&1; then
		tail -20 "$MW_WIKI_DIR/install.log" >&2
		die "install.php failed; the whole output is in $MW_WIKI_DIR/install.log"
	fi
	write_settings
	if [ -n "$shim" ]; then
		write_proofread_shim
	fi
	write_router
	create_accounts
	cmd_import "$FIXTURES/pywikibot-myfile-4pages-with-text.djvu" Test.djvu
	cmd_import "$FIXTURES/pywikibot-myfile-wo-text.djvu" Test-no-text.djvu
	cmd_import "$FIXTURES/synthetic-2pages.pdf" Test.pdf
	cmd_import "$FIXTURES/kjv-genesis-numbers.djvu" Kjv-genesis-numbers.djvu
	cmd_import "$FIXTURES/kjv-genesis-numbers.p1-4.pdf" Kjv-genesis-numbers-p1-4.pdf
	log "wiki ready in $MW_WIKI_DIR for $SERVER (run: $0 start)"
}

server_pid() {
	local pid_file="$MW_WIKI_DIR/server.pid"
	[ -f "$pid_file" ] || return 1
	local pid
	pid=$(cat "$pid_file")
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

api_responds() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$API?action=query&meta=siteinfo&format=json")" = 200 ]
}

cmd_start() {
	[ -f "$MW_WIKI_DIR/LocalSettings.php" ] || die "no wiki in $MW_WIKI_DIR (run: $0 setup)"
	local pid
	if pid=$(server_pid); then
		log "already running: pid $pid on $SERVER"
		return 0
	fi
	if curl -s -o /dev/null --max-time 2 "$SERVER/"; then
		die "another server responds on $SERVER; choose another MW_PORT and run setup again"
	fi
	# One process: PHP_CLI_SERVER_WORKERS disables OPcache in the workers, which
	# makes each request about three times slower, and MediaWiki needs no
	# concurrent requests to itself ($wgRunJobsAsync is false in 1.39).
	MW_UPLOAD_DIR="$MW_WIKI_DIR/images" php -S "127.0.0.1:$MW_PORT" -t "$MW_HOME" \
		"$MW_WIKI_DIR/router.php" >>"$MW_WIKI_DIR/server.log" 2>&1 </dev/null &
	echo $! >"$MW_WIKI_DIR/server.pid"
	local attempt
	for attempt in $(seq 1 300); do
		if api_responds; then
			log "server pid $(cat "$MW_WIKI_DIR/server.pid") responds on $SERVER"
			return 0
		fi
		server_pid >/dev/null || break
		sleep 0.1
	done
	tail -5 "$MW_WIKI_DIR/server.log" >&2
	cmd_stop
	die "the server did not respond on $API; its log is $MW_WIKI_DIR/server.log"
}

cmd_stop() {
	local pid
	if pid=$(server_pid); then
		kill "$pid"
		local attempt
		for attempt in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -9 "$pid"
		fi
		log "server pid $pid stopped"
	fi
	rm -f "$MW_WIKI_DIR/server.pid"
}

cmd_status() {
	if server_pid >/dev/null && api_responds; then
		log "server pid $(server_pid) responds on $SERVER"
		return 0
	fi
	log "no server of $MW_WIKI_DIR responds on $SERVER"
	return 1
}

cmd_env() {
	printf 'export PHETOOLS_TEST_WIKI_API=%s\n' "$API"
	printf 'export PHETOOLS_TEST_WIKI_BOT_USER=%s\n' "$BOT_USER@$BOT_APP"
	printf 'export PHETOOLS_TEST_WIKI_BOT_PASSWORD=%s\n' "$BOT_PASS"
	printf 'export PHETOOLS_TEST_WIKI_OTHER_USER=%s\n' "$OTHER_USER@$OTHER_APP"
	printf 'export PHETOOLS_TEST_WIKI_OTHER_PASSWORD=%s\n' "$OTHER_PASS"
	printf 'export PHETOOLS_TEST_WIKI_DIR=%s\n' "$MW_WIKI_DIR"
	if [ -f "$MW_WIKI_DIR/.proofread-shim" ]; then
		printf 'export PHETOOLS_TEST_WIKI_PROOFREAD_SHIM=1\n'
	fi
}

case "${1:-}" in
install) cmd_install ;;
setup)
	shift
	cmd_setup "$@"
	;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
import)
	shift
	cmd_import "$@"
	;;
delete)
	shift
	cmd_delete "$@"
	;;
run-jobs) cmd_run_jobs ;;
env) cmd_env ;;
*)
	sed -n '2,/^set -euo pipefail/p' "$0" | sed '$d'
	exit 2
	;;
esac
