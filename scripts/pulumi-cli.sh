#!/usr/bin/env bash
# Make a Pulumi CLI available, also on machines that cannot download one.
#
#   scripts/pulumi-cli.sh            ensure a CLI; print the bin dir to put on PATH as the LAST (only) stdout line
#   scripts/pulumi-cli.sh --env      print shell lines to eval: export PATH=...; export PULUMI_SKIP_UPDATE_CHECK=...
#   scripts/pulumi-cli.sh --build    ignore any `pulumi` already on PATH and use (or build) the cached CLI
#   scripts/pulumi-cli.sh --check    build nothing: print the bin dir if a CLI is ready (exit 0), else exit 3
#
# Order of preference:
#   1. a `pulumi` already on the PATH that runs (its own directory is printed; a normal install ships the
#      language host and the pulumi-nodejs plugin next to it);
#   2. a CLI built earlier into the cache directory for the installed @pulumi/pulumi version;
#   3. building it now with Go from the Go module proxy (about 5 minutes and 1.5 GB of module downloads plus
#      1.6 GB of Go build cache the first time, on 2 cores; later runs take well under a second).
#
# Progress and errors go to stderr, so `PATH="$(scripts/pulumi-cli.sh):$PATH"` works.
#
# Built into ${PULUMI_DIGDIR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-digdir}/pulumi-v<version>/:
#   bin/pulumi                          github.com/pulumi/pulumi/pkg/v3/cmd/pulumi at v<version>
#   bin/pulumi-language-nodejs          Node.js language host (scripts/pulumi-cli/language-host.js); the Go one
#                                       (sdk/nodejs/cmd/pulumi-language-nodejs) is a nested module the proxy
#                                       does not serve
#   bin/pulumi-resource-pulumi-nodejs   starts @pulumi/pulumi/cmd/dynamic-provider from the project directory
#   src/                                the wrapper Go module the CLI is built from
#   build-info.txt                      how and how long it was built
set -euo pipefail

say() { printf 'pulumi-cli: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

mode=path
prefer_path=1
while [ $# -gt 0 ]; do
  case "$1" in
    --env) mode=env ;;
    --build) prefer_path=0 ;;
    --check) mode=check ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (try --help)" ;;
  esac
  shift
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
helpers="$here/pulumi-cli"

emit() { # $1 = bin dir
  if [ "$mode" = env ]; then
    printf 'export PULUMI_SKIP_UPDATE_CHECK=true\n'
    printf 'export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true\n'
    printf 'export PATH=%q:"$PATH"\n' "$1"
  else
    printf '%s\n' "$1"
  fi
}

# 1. A pulumi already on the PATH wins, if it runs (the npm package `pulumi` installs a `pulumi` shim that
#    downloads the CLI on first use, and that fails where get.pulumi.com is out of reach).
if [ "$prefer_path" = 1 ] && existing="$(command -v pulumi 2>/dev/null)"; then
  limit=(); command -v timeout >/dev/null 2>&1 && limit=(timeout 60)
  if existing_version="$(PULUMI_SKIP_UPDATE_CHECK=true ${limit[@]+"${limit[@]}"} "$existing" version 2>/dev/null)"; then
    say "using the pulumi on PATH: $existing ($existing_version)"
    emit "$(cd "$(dirname "$existing")" && pwd)"
    exit 0
  fi
  say "ignoring $existing: 'pulumi version' failed (a download shim without network access?)"
fi

command -v node >/dev/null 2>&1 || die "node is not on the PATH (Node.js >= 20 is needed by the project anyway)"

# The version to build: that of the @pulumi/pulumi the project has installed.
version="$(cd "$repo" && node -p 'require(require.resolve("@pulumi/pulumi/package.json")).version' 2>/dev/null)" \
  || die "cannot find @pulumi/pulumi under $repo/node_modules; run 'npm ci' first"
cache_root="${PULUMI_DIGDIR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-digdir}"
cache="$cache_root/pulumi-v$version"
bin="$cache/bin"
src="$cache/src"

# Copy $1 to $2 (mode 755) only when it changed, atomically, so a running engine never sees half a file.
install_file() {
  if ! cmp -s "$1" "$2" 2>/dev/null; then
    cp "$1" "$2.tmp.$$" && chmod 755 "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
  fi
}

install_helpers() {
  mkdir -p "$bin"
  install_file "$helpers/language-host.js" "$bin/pulumi-language-nodejs"
  install_file "$helpers/pulumi-resource-pulumi-nodejs" "$bin/pulumi-resource-pulumi-nodejs"
}

cli_ok() { [ -x "$bin/pulumi" ] && [ "$(PULUMI_SKIP_UPDATE_CHECK=true "$bin/pulumi" version 2>/dev/null)" = "v$version" ]; }

# 2. A CLI built earlier.
if cli_ok; then
  install_helpers
  emit "$bin"
  exit 0
fi
if [ "$mode" = check ]; then
  say "no Pulumi CLI v$version in $bin (run scripts/pulumi-cli.sh to build it)"
  exit 3
fi

# 3. Build it.
if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<EOF
pulumi-cli: error: neither 'pulumi' nor 'go' is on the PATH.
  Install one of them and run this script again:
  - the Pulumi CLI, where get.pulumi.com is reachable: 'curl -fsSL https://get.pulumi.com | sh'
    (or 'brew install pulumi'), or simply use 'npx pulumi ...', which downloads it on first use;
  - or Go >= 1.25 (https://go.dev/dl/, or your distribution's golang package) with access to a Go module
    proxy (GOPROXY); this script then builds pulumi v$version from source into $cache.
EOF
  exit 1
fi

mkdir -p "$cache" "$src" "$bin"
exec 9>"$cache/.lock"
if command -v flock >/dev/null 2>&1; then
  flock -n 9 || { say "another build is running in $cache; waiting for it"; flock 9; }
fi
if cli_ok; then # somebody else built it while we waited
  install_helpers
  emit "$bin"
  exit 0
fi

start=$(date +%s)
say "building pulumi v$version with $(go version | cut -d' ' -f3) into $cache (first time only; about 5 minutes)"
pkg="github.com/pulumi/pulumi/pkg/v3"
sdk="github.com/pulumi/pulumi/sdk/v3"

# Modules the checksum database (GOSUMDB) has no entry for (the proxy here answers 404 for the lookup of
# github.com/pulumi/pulumi/pkg/v3@v3.248.0) are added to GONOSUMDB, i.e. taken from the proxy unverified, with
# a warning; PULUMI_CLI_STRICT_SUMDB=1 refuses instead. A checksum *mismatch* always fails.
nosumdb_file="$src/GONOSUMDB"
if [ -s "$nosumdb_file" ]; then
  GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}$(paste -sd, "$nosumdb_file")"
  export GONOSUMDB
fi
# go_retry <log> <go args...>: run go in $src; when the checksum database answers 404 (or 410) for a module's
# lookup, retry with that module in GONOSUMDB (at most 10 times). stdout is passed on at the end (`go mod
# download -json` reports its errors there), stderr goes to <log> and ours.
go_retry() {
  local log="$1" tries=0 mod
  shift
  while :; do
    if (cd "$src" && go "$@") >"$log.stdout" 2>"$log"; then cat "$log" >&2; cat "$log.stdout"; return 0; fi
    cat "$log" "$log.stdout" >&2
    grep -q 'SECURITY ERROR' "$log" "$log.stdout" && return 1
    # .../sumdb/sum.golang.org/lookup/github.com/pulumi/pulumi/pkg/v3@v3.248.0: 404 Not Found ("!x" = "X")
    mod="$(cat "$log" "$log.stdout" | grep -oE '/lookup/[^ @]+@[^ :]+: (404|410)' | head -n1 \
      | sed -E 's#^/lookup/##; s#@.*##; s/!([a-z])/\U\1/g')" || true
    [ -n "$mod" ] || return 1
    if [ "${PULUMI_CLI_STRICT_SUMDB:-}" = 1 ]; then
      say "error: the checksum database has no entry for $mod, and PULUMI_CLI_STRICT_SUMDB=1 forbids going on"
      return 1
    fi
    tries=$((tries + 1))
    [ $tries -le 10 ] || return 1
    say "warning: the checksum database ($(go env GOSUMDB)) has no entry for $mod; taking it from the" \
      "module proxy unverified (GONOSUMDB). Set PULUMI_CLI_STRICT_SUMDB=1 to refuse."
    printf '%s\n' "$mod" >>"$nosumdb_file"
    GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}$mod"
    export GONOSUMDB
  done
}

# pkg's go.mod, for its go directive and its replace directives. `go install pkg@v` refuses modules with
# replace directives, hence the wrapper module below that repeats the ones that do not point at a local path.
# (`go mod download` wants a main module to run in; an empty one will do.)
printf 'module pulumi-digdir.local/pulumi-cli\n' >"$src/go.mod"
rm -f "$src/go.sum"
go_retry "$cache/download.log" mod download -json "$pkg@v$version" >"$cache/download.json" \
  || die "could not download $pkg@v$version from the Go module proxy ($(go env GOPROXY)); see above"
pkgmod="$(node -e '
  const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (j.Error || !j.GoMod) { console.error(j.Error || "no GoMod"); process.exit(1); }
  console.log(j.GoMod);' "$cache/download.json")" || die "go mod download gave no go.mod for $pkg@v$version"
godirective="$(awk '$1 == "go" { print $2; exit }' "$pkgmod")"
# replace lines, single-line and block form, minus local-path targets (=> ../sdk etc.)
replaces="$(awk '
  /^replace[ \t]*\(/ { inblock = 1; next }
  inblock && /^\)/   { inblock = 0; next }
  inblock            { print "replace " $0; next }
  /^replace[ \t]/    { print }
' "$pkgmod" | awk -F'=>' '{ t = $2; sub(/^[ \t]+/, "", t) } t !~ /^\.\.?\// && t !~ /^\// { print }')"

cat >"$src/go.mod" <<EOF
// Generated by pulumi-digdir scripts/pulumi-cli.sh: builds the Pulumi CLI v$version from the module proxy.
module pulumi-digdir.local/pulumi-cli

go ${godirective:-1.25}

require (
	$pkg v$version
	$sdk v$version
)

tool $pkg/cmd/pulumi

// repeated from $pkg@v$version/go.mod (local-path replacements dropped)
$replaces
EOF
say "resolving dependencies (go mod tidy; downloads about 1.5 GB of modules the first time)"
go_retry "$cache/tidy.log" mod tidy \
  || die "go mod tidy failed in $src (see above; some module versions may be missing from the proxy)"
tidied=$(date +%s)
say "compiling (go build; the slow part)"
(cd "$src" && go build -trimpath \
  -ldflags "-s -w -X $sdk/go/common/version.Version=v$version" \
  -o "$bin/pulumi.tmp.$$" "$pkg/cmd/pulumi") >&2 || { rm -f "$bin/pulumi.tmp.$$"; die "go build failed in $src"; }
mv -f "$bin/pulumi.tmp.$$" "$bin/pulumi"
install_helpers
cli_ok || die "the built $bin/pulumi does not report version v$version"
end=$(date +%s)
cat >"$cache/build-info.txt" <<EOF
pulumi v$version built $(date -u +%Y-%m-%dT%H:%M:%SZ) with $(go version | cut -d' ' -f3) $(go env GOOS)/$(go env GOARCH)
download + tidy: $((tidied - start))s, compile: $((end - tidied))s, total: $((end - start))s
binary: $(du -h "$bin/pulumi" | cut -f1)
GOPROXY=$(go env GOPROXY)
taken without the checksum database (GONOSUMDB): $(paste -sd' ' "$nosumdb_file" 2>/dev/null || true)
EOF
say "built $bin/pulumi ($(du -h "$bin/pulumi" | cut -f1)) in $((end - start))s (details: $cache/build-info.txt)"
emit "$bin"
