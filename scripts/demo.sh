#!/usr/bin/env bash
# npm run demo: the local stack through the real Pulumi engine, against the simulator, from a fresh clone.
#
#   npm run demo                 build, start the simulator, pulumi up, print client ids and confirm URLs, preview;
#                                then keep the simulator running (for the confirm pages) until Ctrl-C
#   npm run demo -- --ci         the same, but stop the simulator after the preview and exit (CI, scripts)
#   npm run demo -- --port 8090  the simulator on another port (or DEMO_PORT=8090); Pulumi.local.yaml stays as it is:
#                                the demo's pulumi commands read a copy of it, .pulumi-state/Pulumi.local.yaml
#   npm run demo -- --fresh      start over: remove the demo's stack (.pulumi-state/) and the simulator's state
#                                (.sim-state/) first, e.g. after `pulumi destroy` (Altinn never gives a system id back)
#   scripts/demo.sh --env        print the shell lines that point `pulumi` at the demo's stack:
#                                eval "$(scripts/demo.sh --env)"; pulumi stack output --stack local
#
# What it uses, all inside the project and git-ignored:
#   .pulumi-state/   the Pulumi file backend (PULUMI_BACKEND_URL=file://<project>/.pulumi-state?metadata=skip); `pulumi login` is
#                    not run, so your own Pulumi login stays as it is
#   .sim-state/      the simulator's state (clients, systems, requests, its admin key) and its log, simulator.log
# The simulator listens where Pulumi.local.yaml's digdir:simulatorUrl says (http://127.0.0.1:8089), or on --port.
#
# Secrets of the demo stack are encrypted with a fixed passphrase, DEMO ONLY: "pulumi-digdir-local-demo". The
# local stack talks to the simulator and holds no real secret; never use this passphrase for a real stack.
#
# The Pulumi CLI comes from scripts/pulumi-cli.sh: a `pulumi` on the PATH, else one built earlier into
# ~/.cache/pulumi-digdir, else one built now with Go (about 5 minutes, once).
set -euo pipefail

DEMO_PASSPHRASE="pulumi-digdir-local-demo"
STACK=local

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
backend_dir="$repo/.pulumi-state"
sim_dir="$repo/.sim-state"
sim_log="$sim_dir/simulator.log"

mode=foreground
fresh=""
port_arg="${DEMO_PORT:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --ci|--once) mode=once ;;
    --env) mode=env ;;
    --fresh) fresh=1 ;;
    --port) port_arg="${2:-}"; shift ;;
    --port=*) port_arg="${1#--port=}" ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\e[1m'; red=$'\e[31m'; off=$'\e[0m'; else bold=""; red=""; off=""; fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$off"; }
die() { printf '\n%sdemo: %s%s\n' "$red" "$*" "$off" >&2; exit 1; }

no_cli() {
  cat >&2 <<EOF

${red}demo: no Pulumi CLI could be found or built${off} (scripts/pulumi-cli.sh says why, above).
The demo needs one of these; install it, then run \`npm run demo\` again:
  - the Pulumi CLI: https://www.pulumi.com/docs/install/
      curl -fsSL https://get.pulumi.com | sh        (or: brew install pulumi)
  - or Go >= 1.25, with access to a Go module proxy: https://go.dev/dl/ (or your distribution's golang package).
      The demo then builds pulumi v$(pulumi_version) from source, once: about 5 minutes and 3 GB of downloads and
      build cache, kept in ~/.cache/pulumi-digdir (outside the project).
EOF
  exit 1
}
pulumi_version() { node -p 'require("@pulumi/pulumi/package.json").version' 2>/dev/null || echo "?"; }

[ -d node_modules/@pulumi/pulumi ] || die "node_modules is missing: run \`npm ci\` first, then \`npm run demo\`"

# The simulator's address: the one the local stack's providers will call (Pulumi.local.yaml).
sim_url="$(sed -n 's/^[[:space:]]*digdir:simulatorUrl:[[:space:]]*//p' Pulumi.local.yaml | tr -d "\"'" | head -n1)"
[[ "$sim_url" =~ ^http://(127\.0\.0\.1|localhost):([0-9]+)/?$ ]] \
  || die "Pulumi.local.yaml's digdir:simulatorUrl should be http://127.0.0.1:<port>, not '${sim_url}'"
port="${BASH_REMATCH[2]}"
# Another port without editing the tracked Pulumi.local.yaml: the demo's pulumi commands read a copy of it with that
# port (`--config-file`), kept with the demo's stack in .pulumi-state/.
config_args=()
if [ -n "$port_arg" ] && [ "$port_arg" != "$port" ]; then
  [[ "$port_arg" =~ ^[0-9]+$ ]] && [ "$port_arg" -ge 1 ] && [ "$port_arg" -le 65535 ] || die "--port (or DEMO_PORT) must be a port number, not '${port_arg}'"
  port="$port_arg"
  sim_url="http://127.0.0.1:$port"
  config_args=(--config-file "$backend_dir/Pulumi.local.yaml")
fi

demo_env() { # the environment every pulumi command of the demo runs with
  # metadata=skip: the file backend then writes each file whole or not at all, so a killed run cannot leave the
  # stack unreadable (scripts/file-backend.js says why).
  printf 'export PULUMI_BACKEND_URL=%q\n' "file://$backend_dir?metadata=skip"
  printf 'export PULUMI_CONFIG_PASSPHRASE=%q   # demo only\n' "$DEMO_PASSPHRASE"
  printf 'unset PULUMI_CONFIG_PASSPHRASE_FILE\n'
  # Until Pulumi.local.yaml carries the demo's encryptionsalt, keep using the one in the stack's state.
  printf 'export PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER=true\n'
}

if [ "$mode" = env ]; then
  scripts/pulumi-cli.sh --env || no_cli
  demo_env
  exit 0
fi

# The port first: nothing is built or started when it is taken.
if node -e 'const s = require("net").connect(+process.argv[1], "127.0.0.1"); s.on("connect", () => process.exit(0)); s.on("error", () => process.exit(1));' "$port"; then
  die "port $port is in use. If that is a simulator you started (npm run sim), stop it (Ctrl-C in its terminal): the
demo starts its own, with the same state (.sim-state/). To use another port: npm run demo -- --port <port>
(or DEMO_PORT=<port>); Pulumi.local.yaml stays as it is."
fi

started=$(date +%s)
if [ -n "$fresh" ] && { [ -e "$backend_dir" ] || [ -e "$sim_dir" ]; }; then
  step "starting over (--fresh): removing the demo's stack (.pulumi-state/) and the simulator's state (.sim-state/)"
  rm -rf "$backend_dir" "$sim_dir"
fi

step "1/6 the Pulumi CLI"
cli_env="$(scripts/pulumi-cli.sh --env)" || no_cli
eval "$cli_env"
eval "$(demo_env)"
# The local stack takes the simulator's bootstrap admin client; credentials meant for another environment must not
# be picked up as the fallback.
while read -r name; do unset "$name"; done < <(compgen -e | grep '^DIGDIR_' || true)
echo "$(command -v pulumi) ($(pulumi version))"

step "2/6 build: the providers and the program (npm run build), the simulator"
node node_modules/typescript/bin/tsc -p tsconfig.build.json
node node_modules/typescript/bin/tsc -p simulator/tsconfig.json
echo "dist/ is up to date"

step "3/6 the simulator on port $port, state in .sim-state/"
mkdir -p "$sim_dir" "$backend_dir"
if [ ${#config_args[@]} -gt 0 ]; then
  # The copy keeps the salt Pulumi may add to it from one run to the next; only the address is set each time.
  [ -f "$backend_dir/Pulumi.local.yaml" ] || cp Pulumi.local.yaml "$backend_dir/Pulumi.local.yaml"
  sed -i.bak "s|^\([[:space:]]*digdir:simulatorUrl:\).*|\1 $sim_url|" "$backend_dir/Pulumi.local.yaml" && rm -f "$backend_dir/Pulumi.local.yaml.bak"
fi
# Pulumi writes an `encryptionsalt:` line into Pulumi.local.yaml when the file has none: put the file back at exit.
config_backup=""
if ! grep -q '^encryptionsalt:' Pulumi.local.yaml; then
  config_backup="$backend_dir/Pulumi.local.yaml.before-demo"
  cp Pulumi.local.yaml "$config_backup"
fi

sim_pid=""
stop_sim() {
  if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
    kill -TERM "$sim_pid" 2>/dev/null || true # the simulator writes its state on SIGTERM
    wait "$sim_pid" 2>/dev/null || true
  fi
  sim_pid=""
}
restore_config() {
  if [ -n "$config_backup" ] && [ -f "$config_backup" ]; then
    if grep -v '^encryptionsalt:' Pulumi.local.yaml | cmp -s - "$config_backup"; then cp "$config_backup" Pulumi.local.yaml; fi
    rm -f "$config_backup"
  fi
}
trap 'stop_sim; restore_config' EXIT
trap 'echo; echo "demo: stopping the simulator (its state stays in .sim-state/)"; exit 0' INT TERM

node dist/simulator/cli.js --port "$port" --state "$sim_dir" >"$sim_log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 150); do
  grep -q '^simulator listening on ' "$sim_log" 2>/dev/null && break
  kill -0 "$sim_pid" 2>/dev/null || break
  sleep 0.2
done
grep -q '^simulator listening on ' "$sim_log" 2>/dev/null || { sed 's/^/  /' "$sim_log" >&2; die "the simulator did not start (its log is above and in .sim-state/simulator.log)"; }
head -n1 "$sim_log"

step "4/6 pulumi up --refresh --yes --stack $STACK   (stacks/local.yaml; state in .pulumi-state/)"
pulumi stack select --create "$STACK" >/dev/null
# A system id is never given back (Altinn, and so the simulator, keeps a deleted system's id taken): after a
# `pulumi destroy`, the stack would create its clients and then fail on the system. Say so before anything is made.
used_up="$(pulumi stack export --stack "$STACK" 2>/dev/null | node -e '
  const fs = require("fs");
  let inState = new Set();
  try {
    const d = JSON.parse(fs.readFileSync(0, "utf8"));
    for (const r of d.deployment?.resources ?? []) if (/:System$/.test(r.type) && r.outputs?.systemId) inState.add(r.outputs.systemId);
  } catch {}
  let sim = {};
  try { sim = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch {}
  const systems = sim["altinn.systems"] ?? sim.slices?.["altinn.systems"] ?? {};
  const { validateStackFile } = require("./dist/stacks/validate/index.js");
  const { plan } = validateStackFile("stacks/local.yaml", { environment: "local" });
  const declared = new Set(plan.systems.map((s) => s.args.systemId));
  const gone = Object.values(systems).filter((s) => s && s.isDeleted && declared.has(s.id) && !inState.has(s.id)).map((s) => s.id);
  if (gone.length) process.stdout.write(gone.length === 1 ? `the system id ${gone[0]}` : `the system ids ${gone.join(", ")}`);
' "$sim_dir/state.json")"
if [ -n "$used_up" ]; then
  die "the simulator's state (.sim-state/) holds $used_up, deleted earlier (a \`pulumi destroy\`): Altinn never
gives a system id back, so the stack cannot create it again, and nothing was changed. Start over with an empty
simulator and stack:  npm run demo -- --fresh"
fi
# --refresh: read what the simulator holds first, so the outputs show the customers' latest answers, and anything
# the simulator no longer has (a deleted .sim-state/) is created again.
pulumi up --refresh --yes --skip-preview --suppress-outputs --stack "$STACK" "${config_args[@]}"

step "5/6 what to send the customers"
pulumi stack output --json --stack "$STACK" | node -e '
  const out = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const pad = (s, n) => String(s).padEnd(n);
  const w = Math.max(0, ...Object.keys(out.clientIds ?? {}).map((k) => k.length)) + 2;
  console.log("Digdir clients (client ids):");
  for (const [name, id] of Object.entries(out.clientIds ?? {})) console.log(`  ${pad(name, w)}${id}`);
  console.log("Altinn systems (system ids):");
  for (const [name, id] of Object.entries(out.systemIds ?? {})) console.log(`  ${pad(name, w)}${id}`);
  const waiting = Object.entries(out.awaitingApproval ?? {}).flatMap(([system, cs]) => cs.map((c) => ({ system, ...c })));
  if (waiting.length === 0) {
    console.log("No customer has anything left to approve.");
  } else {
    console.log("Open each link as the customer (organisation) and approve or reject:");
    for (const c of waiting) {
      const what = c.changeRequest ? "change request" : c.agent ? "agent system user" : "system user";
      console.log(`  ${c.customer}${c.name ? " " + c.name : ""}: ${what} for ${c.system}${c.externalRef && c.externalRef !== c.customer ? ` (${c.externalRef})` : ""}`);
      console.log(`    ${c.confirmUrl}`);
    }
  }
  for (const [status, names] of Object.entries(out.requestsByStatus ?? {})) console.log(`Requests ${status}: ${names.join(", ")}`);
  for (const s of Object.values(out.apiScopes ?? {}))
    console.log(`API scope ${s.scope}: ${Object.entries(s.consumers ?? {}).map(([org, state]) => `${org} ${state}`).join(", ")}`);
  for (const name of Object.keys(out.currentPrivateJwks ?? out.privateKeys ?? {}))
    console.log(`Generated key of ${name}: ${out.clientKeys?.[name]?.currentKid} (its private JWK: pulumi stack output currentPrivateJwks --show-secrets --stack local)`);
'

step "6/6 pulumi preview --expect-no-changes --stack $STACK"
pulumi preview --expect-no-changes --suppress-outputs --stack "$STACK" "${config_args[@]}"

cat <<EOF

${bold}Done in $(( $(date +%s) - started )) s.${off} The stack 'local' is in .pulumi-state/, the simulator's state in .sim-state/ (both git-ignored).

Next steps:
  - Open the links above in a browser, as the customer: approve or reject.
  - Then, in another terminal in this directory:
        eval "\$(scripts/demo.sh --env)"        # pulumi on PATH, the demo's backend and passphrase
        pulumi up --refresh --yes --stack local${config_args[*]:+ ${config_args[*]#"$repo/"}}  # reads the customers' answers into the outputs
        pulumi stack output awaitingApproval --json --stack local
    or simply \`npm run demo\` again (after stopping this one).
  - Change stacks/local.yaml (a client's scopes, a customer) and run \`pulumi up --stack local\` again.
  - The simulator alone, with the same state: npm run sim -- --port $port --state .sim-state
  - Start over: npm run demo -- --fresh (needed after a \`pulumi destroy\`: the simulator keeps a deleted system's id
    taken, as Altinn does)
EOF
if [ "$mode" = once ]; then
  echo "  (--ci: the simulator stops now; \`npm run demo\` or the \`npm run sim\` line above starts it again with the same state.)"
fi
if [ -n "$config_backup" ]; then
  cat <<EOF
  Note: Pulumi.local.yaml carries no encryptionsalt yet, so a pulumi command you run adds one (for the demo's
  passphrase); \`git checkout Pulumi.local.yaml\` takes it out again. The demo itself puts the file back.
EOF
fi

if [ "$mode" = once ]; then
  stop_sim
  exit 0
fi

cat <<EOF

${bold}The simulator keeps running at $sim_url for the confirm pages. Press Ctrl-C to stop it.${off}
EOF
wait "$sim_pid" || true
sim_pid=""
echo "demo: the simulator stopped (see .sim-state/simulator.log)"
