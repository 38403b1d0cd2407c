#!/usr/bin/env bash
# The stack program through the real Pulumi engine, against the simulator: what the setMocks tests cannot show
# (Pulumi.yaml's `main`, the program's working directory and tsconfig, the shim's path, the stack outputs).
#
#   test/stacks/engine-local.sh               get the CLI via scripts/pulumi-cli.sh (builds it with Go the first time)
#   STACK_E2E_NO_BUILD=1 ...                  skip (exit 0, "SKIP: ...") when no CLI is ready instead of building one
#   STACK_E2E_KEEP=1 ...                      keep the temp dir for inspection
#
# In a copy of the project (Pulumi writes the stack's encryption salt and config into Pulumi.local.yaml):
# up stacks/local.yaml -> outputs (the scope and its grants, the generated key as a secret) -> no change planned
# -> a customer accepts -> up --refresh -> changed rights make a change request
# -> a broken stack file stops the program with file:line:col -> destroy. Output: one "ok - ..." line per step.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

if [ "${STACK_E2E_NO_BUILD:-}" = 1 ]; then
  if ! bin="$("$repo/scripts/pulumi-cli.sh" --check 2>/dev/null | tail -n1)" || [ -z "$bin" ]; then
    echo "SKIP: no Pulumi CLI on PATH or in the cache; run scripts/pulumi-cli.sh first, or unset STACK_E2E_NO_BUILD"
    exit 0
  fi
else
  bin="$("$repo/scripts/pulumi-cli.sh" | tail -n1)" || { echo "FAIL: scripts/pulumi-cli.sh could not provide a Pulumi CLI"; exit 1; }
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/stack-e2e.XXXXXX")"
sim_pid=""
cleanup() {
  local rc=$?
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  if [ $rc -ne 0 ] || [ "${STACK_E2E_KEEP:-}" = 1 ]; then echo "# temp dir kept: $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

export PATH="$bin:$PATH"
export PULUMI_HOME="$tmp/pulumi-home" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_CONFIG_PASSPHRASE="stack-e2e" PULUMI_BACKEND_URL="file://$tmp/state" NO_COLOR=1
unset PULUMI_ACCESS_TOKEN DIGDIR_ENVIRONMENT DIGDIR_SIMULATOR_URL DIGDIR_CLIENT_ID DIGDIR_PRIVATE_KEY DIGDIR_PRIVATE_KEY_FILE DIGDIR_ORG_NO
log="$tmp/last.log"
step=0
ok() { step=$((step + 1)); echo "ok $step - $*"; }
fail() { echo "not ok - $*"; echo "# last command output:"; sed 's/^/#   /' "$log" | tail -n 60; exit 1; }
output() { pulumi stack output "$1" --json 2>"$log"; }

# The providers and the simulator, compiled as `npm run build` and `npm run sim` do.
(cd "$repo" && node node_modules/typescript/bin/tsc -p tsconfig.build.json && node node_modules/typescript/bin/tsc -p simulator/tsconfig.json) >"$log" 2>&1 || fail "build"

node "$repo/dist/simulator/cli.js" --port 0 >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$tmp/sim.out" 2>/dev/null && break; sleep 0.1; done
sim_url="$(sed -n 's/^simulator listening on //p' "$tmp/sim.out")"
[ -n "$sim_url" ] || { cp "$tmp/sim.err" "$log"; fail "the simulator did not start"; }
ok "simulator at $sim_url"

proj="$tmp/project"
mkdir -p "$proj" "$tmp/state"
cp -rp "$repo/providers" "$repo/stacks" "$repo/dist" "$repo/Pulumi.yaml" "$repo/Pulumi.local.yaml" "$repo/package.json" "$repo/tsconfig.json" "$repo/tsconfig.build.json" "$proj/"
ln -s "$repo/node_modules" "$proj/node_modules"
cd "$proj"
# A salt left by someone's own `pulumi stack init local` in the repo belongs to their passphrase, not this one.
sed -i '/^encryptionsalt:/d' Pulumi.local.yaml
pulumi stack init local >"$log" 2>&1 || fail "stack init"
pulumi config set digdir:simulatorUrl "$sim_url" >"$log" 2>&1 || fail "config set"

pulumi up --yes --skip-preview >"$log" 2>&1 || fail "pulumi up of stacks/local.yaml"
output requestsByStatus | node -e '
  const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const want = ["smartcloud-regnskap/310000043", "smartcloud/310000019", "smartcloud/310000027", "smartcloud/310000035/skattegrunnlag"];
  if (JSON.stringify([...(s.New ?? [])].sort()) !== JSON.stringify(want)) { console.error(JSON.stringify(s)); process.exit(1); }' 2>>"$log" || fail "every request New"
output clientIds | node -e '
  const c = JSON.parse(require("fs").readFileSync(0, "utf8"));
  if (Object.keys(c).sort().join() !== "smartcloud,smartcloud-krr,smartcloud-regnskap" || !Object.values(c).every((v) => /^[0-9a-f-]{36}$/.test(v))) process.exit(1);' || fail "a client id per client"
ok "up created the clients, key sets, systems and requests; every request is New"

output apiScopes | node -e '
  const s = JSON.parse(require("fs").readFileSync(0, "utf8")).regnskap;
  if (s.scope !== "leverandor:regnskap.read" || JSON.stringify(s.consumers) !== JSON.stringify({ "991825827": "APPROVED", "974761076": "APPROVED" })) { console.error(JSON.stringify(s)); process.exit(1); }' 2>>"$log" || fail "the API scope and its two grants"
ok "the API scope exists with both consumers granted; the client that uses it was created after it"

kid="$(output clientKeys | node -e '
  const k = JSON.parse(require("fs").readFileSync(0, "utf8"))["smartcloud-regnskap"];
  if (!/^[0-9a-f-]{36}$/.test(k.currentKid) || !k.kids.includes(k.currentKid) || !k.expiresAt[k.currentKid] || !k.nextStepAt) process.exit(1);
  console.log(k.currentKid)')" || fail "clientKeys: the generated key is current and registered"
output privateKeys | node -e '
  const p = JSON.parse(require("fs").readFileSync(0, "utf8"));
  if (JSON.stringify(p) !== JSON.stringify({ "smartcloud-regnskap": "[secret]" })) process.exit(1);' || fail "privateKeys is shown only as [secret] without --show-secrets"
pulumi stack output privateKeys --json --show-secrets 2>"$log" | KID="$kid" node -e '
  const jwk = JSON.parse(JSON.parse(require("fs").readFileSync(0, "utf8"))["smartcloud-regnskap"]);
  if (jwk.kid !== process.env.KID || !jwk.d || jwk.kty !== "RSA") process.exit(1);' || fail "the private JWK of the current key, with --show-secrets"
d="$(pulumi stack output privateKeys --json --show-secrets 2>"$log" | node -e 'console.log(JSON.parse(JSON.parse(require("fs").readFileSync(0, "utf8"))["smartcloud-regnskap"]).d)')"
pulumi stack export >"$tmp/export.json" 2>"$log" || fail "stack export"
if grep -qF "$d" "$tmp/export.json"; then fail "the private key is in the stack export in clear"; fi
ok "the generated key $kid is current; its private JWK is a secret output, encrypted in the state"

pulumi preview --expect-no-changes >"$log" 2>&1 || fail "a preview right after up plans no change"
ok "a preview right after up plans no change"

request_id="$(output requests | node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(new URL(r["smartcloud/310000019"].confirmUrl).searchParams.get("id"))')"
curl -sf -X POST "$sim_url/_sim/systemuser-requests/$request_id/accept" >"$log" 2>&1 || fail "accept in the simulator"
pulumi up --refresh --yes --skip-preview >"$log" 2>&1 || fail "up --refresh"
output awaitingApproval | node -e '
  const a = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const waiting = Object.values(a).flat().map((c) => c.customer).sort().join();
  if (waiting !== "310000027,310000035,310000043") { console.error(waiting); process.exit(1); }' 2>>"$log" || fail "awaitingApproval after acceptance"
ok "after 310000019 accepted, up --refresh leaves three customers in awaitingApproval"

sed -i 's|      - "310000019"|      - { orgNo: "310000019", rights: [ske-krav-og-betalinger, ske-innrapportering-boligselskap] }|' stacks/local.yaml
pulumi up --yes --skip-preview >"$log" 2>&1 || fail "up with changed rights"
output awaitingApproval | node -e '
  const a = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const c = a.smartcloud.find((x) => x.customer === "310000019");
  if (!c || !c.changeRequest || !/changerequest\?id=/.test(c.confirmUrl)) process.exit(1);' || fail "a change request awaiting approval"
ok "changed rights of an accepted customer wait for approval as a change request"

cp stacks/local.yaml "$tmp/local.yaml"
sed -i 's|    clients: \[smartcloud\]|    clients: [smartclod]|' stacks/local.yaml
if pulumi preview >"$log" 2>&1; then fail "a broken stack file was accepted"; fi
grep -q 'stacks/local.yaml:[0-9]*:[0-9]* systems.smartcloud.clients\[0\]: no client `smartclod` under `clients`: did you mean `smartcloud`?' "$log" || fail "the problem at its line"
cp "$tmp/local.yaml" stacks/local.yaml
ok "a broken stack file stops the program with file:line:col path: message"

pulumi destroy --yes --skip-preview >"$log" 2>&1 || fail "destroy"
ok "destroy"
