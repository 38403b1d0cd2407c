#!/usr/bin/env bash
# End-to-end smoke test of the real Pulumi engine with a dynamic provider:
#   pulumi login file:// -> stack init -> config (incl. a secret) -> up -> preview --expect-no-changes -> refresh
#   -> up (an update) -> stack export (no secret in clear) -> a failing program -> destroy -> stack rm
# in a throw-away project under a temp dir, with a file-backed dynamic provider written in plain JavaScript.
#
#   test/cli/cli-smoke.sh               get the CLI via scripts/pulumi-cli.sh (builds it with Go the first time)
#   PULUMI_CLI_SMOKE_NO_BUILD=1 ...     skip (exit 0, "SKIP: ...") instead of building when no CLI is ready
#   PULUMI_CLI_SMOKE_KEEP=1 ...         keep the temp dir for inspection
#
# Exit status: 0 = passed (or skipped), 1 = failed. Output: one "ok - ..." line per step.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
started=$(date +%s)

if [ "${PULUMI_CLI_SMOKE_NO_BUILD:-}" = 1 ]; then
  if ! bin="$("$repo/scripts/pulumi-cli.sh" --check 2>/dev/null | tail -n1)" || [ -z "$bin" ]; then
    if ! command -v pulumi >/dev/null 2>&1; then
      echo "SKIP: no Pulumi CLI on PATH or in the cache; run scripts/pulumi-cli.sh first (needs go), or unset PULUMI_CLI_SMOKE_NO_BUILD"
      exit 0
    fi
    bin="$(dirname "$(command -v pulumi)")"
  fi
else
  bin="$("$repo/scripts/pulumi-cli.sh" | tail -n1)" || { echo "FAIL: scripts/pulumi-cli.sh could not provide a Pulumi CLI"; exit 1; }
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/pulumi-cli-smoke.XXXXXX")"
cleanup() {
  local rc=$?
  if [ $rc -ne 0 ] || [ "${PULUMI_CLI_SMOKE_KEEP:-}" = 1 ]; then echo "# temp dir kept: $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

export PATH="$bin:$PATH"
export PULUMI_HOME="$tmp/pulumi-home"              # no ~/.pulumi state shared with other runs
export PULUMI_SKIP_UPDATE_CHECK=true               # no call to api.pulumi.com for the latest version
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_CONFIG_PASSPHRASE="smoke-test-passphrase"
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
export PULUMI_BACKEND_URL="file://$tmp/state"
unset PULUMI_ACCESS_TOKEN
export NO_COLOR=1

proj="$tmp/project"
things="$tmp/things"
mkdir -p "$proj" "$things" "$tmp/state"
ln -s "$repo/node_modules" "$proj/node_modules"

cat >"$proj/Pulumi.yaml" <<'EOF'
name: cli-smoke
runtime:
  name: nodejs
  options:
    typescript: false
description: Smoke test of the real Pulumi engine with a file-backed dynamic provider
EOF
cat >"$proj/package.json" <<'EOF'
{ "name": "cli-smoke", "version": "0.0.0", "private": true, "main": "index.js" }
EOF
cat >"$proj/index.js" <<'EOF'
"use strict";
const pulumi = require("@pulumi/pulumi");

// A dynamic provider that keeps its "thing" as a JSON file in inputs.dir. Only `require` inside methods:
// the provider is serialized into the state and run later by the engine's pulumi-resource-pulumi-nodejs host.
const fileThing = {
  async check(olds, news) {
    const failures = [];
    if (typeof news.dir !== "string" || news.dir === "") failures.push({ property: "dir", reason: "dir is required" });
    return { inputs: news, failures };
  },
  async diff(id, olds, news) {
    const replaces = olds.dir !== news.dir ? ["dir"] : [];
    const changes = olds.dir !== news.dir || olds.greeting !== news.greeting || olds.token !== news.token;
    return { changes, replaces };
  },
  async create(inputs) {
    const fs = require("fs"), path = require("path"), crypto = require("crypto");
    const id = crypto.randomBytes(6).toString("hex");
    const tokenSha256 = crypto.createHash("sha256").update(String(inputs.token)).digest("hex");
    fs.writeFileSync(path.join(inputs.dir, id + ".json"), JSON.stringify({ greeting: inputs.greeting, tokenSha256 }));
    return { id, outs: { ...inputs, tokenSha256, writes: 1 } };
  },
  async read(id, props) {
    const fs = require("fs"), path = require("path");
    const file = path.join(props.dir, id + ".json");
    if (!fs.existsSync(file)) return { id: "", props: {} }; // gone: the engine drops it from the state
    const onDisk = JSON.parse(fs.readFileSync(file, "utf8"));
    return { id, props: { ...props, greeting: onDisk.greeting } };
  },
  async update(id, olds, news) {
    const fs = require("fs"), path = require("path"), crypto = require("crypto");
    const tokenSha256 = crypto.createHash("sha256").update(String(news.token)).digest("hex");
    fs.writeFileSync(path.join(news.dir, id + ".json"), JSON.stringify({ greeting: news.greeting, tokenSha256 }));
    return { outs: { ...news, tokenSha256, writes: (olds.writes || 0) + 1 } };
  },
  async delete(id, props) {
    require("fs").rmSync(require("path").join(props.dir, id + ".json"), { force: true });
  },
};

class FileThing extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(fileThing, name, { tokenSha256: undefined, writes: undefined, ...args }, opts, "smoke", "FileThing");
  }
}

const config = new pulumi.Config();
if (config.getBoolean("fail")) throw new Error("failing on purpose (config fail=true)");
const thing = new FileThing("thing", {
  dir: config.require("dir"),
  greeting: config.require("greeting"),
  token: config.requireSecret("token"),
});
exports.thingId = thing.id;
exports.greeting = thing.greeting;
exports.writes = thing.writes;
exports.tokenSha256 = thing.tokenSha256;
exports.token = thing.token;
exports.project = pulumi.getProject();
exports.stack = pulumi.getStack();
EOF

log="$tmp/log"
step=0
ok() { step=$((step + 1)); echo "ok $step - $*"; }
fail() { echo "not ok - $*"; echo "# last command output:"; sed 's/^/#   /' "$log" | tail -n 60; exit 1; }
# run <description> <command...>: the command must succeed
run() { local d="$1"; shift; if (cd "$proj" && "$@") >"$log" 2>&1; then ok "$d"; else fail "$d (exit $?): $*"; fi; }
# run_fails <description> <command...>: the command must fail
run_fails() { local d="$1"; shift; if (cd "$proj" && "$@") >"$log" 2>&1; then fail "$d: expected a failure: $*"; else ok "$d"; fi; }
out() { (cd "$proj" && pulumi stack output "$@"); }
# state_out <prop>: the FileThing's output <prop> as recorded in the state (refresh updates resources' state, not
# the stack outputs, which only a program run recomputes)
state_out() {
  (cd "$proj" && pulumi stack export) | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const r = JSON.parse(s).deployment.resources.find((r) => r.type.endsWith(":FileThing"));
      console.log(r ? r.outputs[process.argv[1]] : ""); });' "$1"
}

secret="s3cr3t-$(date +%s%N)"
secret_sha="$(printf %s "$secret" | sha256sum | cut -d' ' -f1)"

echo "# pulumi: $(command -v pulumi) $(pulumi version)"
echo "# language host: $(command -v pulumi-language-nodejs); dynamic provider plugin: $(command -v pulumi-resource-pulumi-nodejs || echo 'none on PATH')"
run "pulumi login file://" pulumi login "file://$tmp/state"
run "pulumi stack init" pulumi stack init dev
run "pulumi config set" pulumi config set dir "$things"
run "pulumi config set greeting" pulumi config set greeting hello
run "pulumi config set --secret" pulumi config set --secret token "$secret"
grep -q "$secret" "$proj/Pulumi.dev.yaml" && fail "the secret is in clear in Pulumi.dev.yaml" || ok "secret encrypted in Pulumi.dev.yaml"

run "pulumi preview (first)" pulumi preview --non-interactive
[ -z "$(ls -A "$things")" ] || fail "preview created something"
ok "preview created nothing"

run "pulumi up --yes" pulumi up --yes --non-interactive
id="$(out thingId)"
[ -f "$things/$id.json" ] || fail "no file for thing $id after up"
ok "the dynamic provider created $things/$id.json"
[ "$(out greeting)" = hello ] || fail "greeting output is '$(out greeting)'"
[ "$(out project)/$(out stack)" = "cli-smoke/dev" ] || fail "project/stack outputs are wrong"
[ "$(out tokenSha256)" = "$secret_sha" ] || fail "the provider did not see the secret in clear (sha mismatch)"
grep -q "$secret_sha" "$things/$id.json" || fail "the file does not carry the token hash"
ok "outputs: greeting, project/stack, and the provider saw the decrypted secret"
[ "$(out token)" = "[secret]" ] || fail "the token output is not shown as [secret]: $(out token)"
[ "$(out token --show-secrets)" = "$secret" ] || fail "--show-secrets does not give the secret back"
ok "secret output masked, --show-secrets reveals it"

run "pulumi preview --expect-no-changes" pulumi preview --expect-no-changes --non-interactive
run "pulumi refresh --yes" pulumi refresh --yes --non-interactive
run "pulumi preview --expect-no-changes after refresh" pulumi preview --expect-no-changes --non-interactive

# drift: change the file behind Pulumi's back; refresh must pick it up, up must put it back
printf '{"greeting":"drifted","tokenSha256":"%s"}' "$secret_sha" >"$things/$id.json"
run "pulumi refresh --yes (drift)" pulumi refresh --yes --non-interactive
[ "$(state_out greeting)" = drifted ] || fail "refresh did not read the drifted greeting: $(state_out greeting)"
ok "refresh read the drift from the provider"
run "pulumi up --yes (repair drift)" pulumi up --yes --non-interactive
grep -q '"greeting":"hello"' "$things/$id.json" || fail "up did not repair the drift"
ok "up repaired the drift (update through the provider)"

run "pulumi config set greeting (change)" pulumi config set greeting bonjour
run_fails "pulumi preview --expect-no-changes fails when there are changes" pulumi preview --expect-no-changes --non-interactive
run "pulumi up --yes (update)" pulumi up --yes --non-interactive
[ "$(out thingId)" = "$id" ] || fail "update replaced the thing ($(out thingId) != $id)"
grep -q '"greeting":"bonjour"' "$things/$id.json" || fail "the file was not updated"
[ "$(out writes)" = 3 ] || fail "writes output is $(out writes), expected 3"
ok "in-place update kept id $id and rewrote the file"

(cd "$proj" && pulumi stack export) >"$tmp/export.json" 2>"$log" || fail "pulumi stack export"
grep -q "$secret" "$tmp/export.json" && fail "the secret is in clear in pulumi stack export"
grep -q '"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"' "$tmp/export.json" \
  || fail "no secret values in the export at all"
grep -rq "$secret" "$tmp/state" && fail "the secret is in clear in the file backend"
ok "stack export and the state files hold the secret only encrypted"
(cd "$proj" && pulumi stack export --show-secrets) 2>"$log" | grep -q "$secret" || fail "stack export --show-secrets lacks the secret"
ok "stack export --show-secrets decrypts it"

run "pulumi config set fail true" pulumi config set fail true
run_fails "pulumi up fails when the program throws" pulumi up --yes --non-interactive
grep -q "failing on purpose" "$log" || fail "the program's error message is not shown"
[ -f "$things/$id.json" ] || fail "a failed program run deleted the thing"
ok "the program's error reaches the user and nothing is deleted"
run "pulumi config rm fail" pulumi config rm fail

run "pulumi destroy --yes" pulumi destroy --yes --non-interactive
[ ! -e "$things/$id.json" ] || fail "destroy left $things/$id.json"
ok "the dynamic provider deleted the file"
run "pulumi stack rm --yes" pulumi stack rm --yes dev

echo "# passed $step checks in $(( $(date +%s) - started ))s"
