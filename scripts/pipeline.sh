#!/usr/bin/env bash
# The steps of a CI/CD pipeline for the stacks, in one place: examples/pipelines/ (GitHub Actions, GitLab CI) call
# this script and nothing else, and test/e2e/pipeline.e2e.ts runs it against the simulator.
#
#   scripts/pipeline.sh validate                    every stack file, offline (npm run validate)
#   scripts/pipeline.sh plan <stack> <dir>          the plan for review: <dir>/plan.md (the pull-request comment),
#                                                   <dir>/plan.json, and Pulumi's plan <dir>/pulumi-plan.json;
#                                                   exit 0 no changes, 2 changes, 1 an error
#   scripts/pipeline.sh apply <stack> <dir>         pulumi up --plan <dir>/pulumi-plan.json: exactly what was approved
#   scripts/pipeline.sh refresh <stack>             pulumi up --refresh: rotations and renewals that fell due, the
#                                                   customers' answers (run daily)
#   scripts/pipeline.sh promote-gate <from> <to>    fails while <to> lacks or differs from <from> (npm run promote)
#   scripts/pipeline.sh recover <stack>             after a killed run (a cancelled job, kill -9): repairs what the
#                                                   kill cut in a file backend, removes the run's lock, and names
#                                                   what it was changing; then run `refresh` (README, "When a run
#                                                   fails or is killed")
#
# It uses what the pipeline gives it: PULUMI_BACKEND_URL (file://, s3://, azblob://, or the Pulumi Cloud when
# unset), PULUMI_CONFIG_PASSPHRASE or a cloud KMS's credentials, DIGDIR_* for the admin client; PULUMI_SECRETS_PROVIDER,
# if set, is used when a stack is created here (stacks/README.md, "Pipelines"). The Pulumi CLI: one on the PATH, else
# scripts/pulumi-cli.sh's. No committed file is left changed: Pulumi.<stack>.yaml is put back as it was after each
# step (Pulumi writes an encryption salt or key into it when a stack is created; the state keeps it too, which
# PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER reads). A file:// backend URL without a `metadata` option is given
# `metadata=skip`, so that a killed job cannot leave the state unreadable (scripts/file-backend.js says why).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 1; }
die() { echo "pipeline: $*" >&2; exit 1; }
[ $# -ge 1 ] || usage
step="$1"
shift

export PULUMI_SKIP_UPDATE_CHECK=true
case "${PULUMI_BACKEND_URL:-}" in
  file://*metadata=*) ;;
  file://*\?*) export PULUMI_BACKEND_URL="$PULUMI_BACKEND_URL&metadata=skip" ;;
  file://*) export PULUMI_BACKEND_URL="$PULUMI_BACKEND_URL?metadata=skip" ;;
esac
export PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER=true
export NO_COLOR="${NO_COLOR:-1}"

need_pulumi() {
  command -v pulumi >/dev/null 2>&1 || eval "$(scripts/pulumi-cli.sh --env)" || die "no Pulumi CLI: install it (https://www.pulumi.com/docs/install/) or put one on the PATH"
}

# Committed stack configs, put back as they were when the step ends, however it ends.
saved="$(mktemp -d)"
keep_configs() {
  local f
  for f in Pulumi.*.yaml; do [ -e "$f" ] && cp -p "$f" "$saved/$f"; done
  return 0
}
restore_configs() {
  local f
  for f in Pulumi.*.yaml; do
    [ -e "$f" ] || continue
    if [ -e "$saved/$f" ]; then cmp -s "$f" "$saved/$f" || cp -p "$saved/$f" "$f"; else rm -f "$f"; fi
  done
  rm -rf "$saved"
}
keep_configs
trap restore_configs EXIT

build() { node node_modules/typescript/bin/tsc -p tsconfig.build.json; }

select_stack() { # <stack>: select it, creating it the first time
  local stack="$1"
  [ -f "stacks/$stack.yaml" ] || die "no stack file stacks/$stack.yaml"
  if ! pulumi stack select "$stack" >/dev/null 2>&1; then
    echo "pipeline: creating the stack $stack" >&2
    pulumi stack init "$stack" ${PULUMI_SECRETS_PROVIDER:+--secrets-provider "$PULUMI_SECRETS_PROVIDER"} >/dev/null
  fi
}

case "$step" in
  validate)
    [ $# -eq 0 ] || usage
    build
    node dist/stacks/cli.js validate
    ;;
  plan)
    [ $# -eq 2 ] || usage
    stack="$1" dir="$2"
    need_pulumi
    build
    select_stack "$stack"
    mkdir -p "$dir"
    status=0
    node dist/stacks/cli.js plan --stack "$stack" --json --save-plan "$dir/pulumi-plan.json" >"$dir/plan.json" || status=$?
    # The Markdown from the same plan (one preview): the comment to post, errors included.
    if node -e '
      const { formatMarkdown } = require("./dist/stacks/plan-text");
      process.stdout.write(formatMarkdown(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))).join("\n") + "\n");
    ' "$dir/plan.json" >"$dir/plan.md" 2>/dev/null; then
      if [ "$status" -eq 1 ]; then cat "$dir/plan.md" >&2; else cat "$dir/plan.md"; fi
    else
      rm -f "$dir/plan.md"
    fi
    [ "$status" -ne 1 ] || die "no plan for $stack (above)"
    exit "$status"
    ;;
  apply)
    [ $# -eq 2 ] || usage
    stack="$1" dir="$2"
    [ -f "$dir/pulumi-plan.json" ] || die "no approved plan $dir/pulumi-plan.json: run \`scripts/pipeline.sh plan $stack $dir\` (on the pull request) first"
    need_pulumi
    build
    select_stack "$stack"
    # Pulumi's --plan refuses a step the plan lacks only when it gets there, after the planned steps before it were
    # applied. So first the preview again: anything other than the approved changes (another merge since, drift,
    # a due rotation) stops here, before any change; plan again and have that reviewed.
    now="$(mktemp)"
    status=0
    node dist/stacks/cli.js plan --stack "$stack" --json >"$now" || status=$?
    [ "$status" -ne 1 ] || { cat "$now" >&2; die "the preview failed: nothing applied"; }
    node -e '
      const fs = require("fs");
      const steps = (f) => (JSON.parse(fs.readFileSync(f, "utf8")).changes ?? []).map((c) => `${c.op} ${c.resource}: ${c.sentence}`).sort();
      const [approved, now] = [steps(process.argv[1]), steps(process.argv[2])];
      const gone = approved.filter((s) => !now.includes(s));
      const extra = now.filter((s) => !approved.includes(s));
      if (gone.length || extra.length) {
        console.error("the approved plan is stale: nothing applied. Plan again and have that reviewed.");
        for (const s of extra) console.error(`  not approved: ${s}`);
        for (const s of gone) console.error(`  approved, no longer planned: ${s}`);
        process.exit(1);
      }
    ' "$dir/plan.json" "$now" || exit 1
    rm -f "$now"
    # Only the steps of the approved plan (the engine checks each against it).
    pulumi up --yes --skip-preview --plan "$dir/pulumi-plan.json" --stack "$stack"
    ;;
  refresh)
    [ $# -eq 1 ] || usage
    stack="$1"
    need_pulumi
    build
    select_stack "$stack"
    pulumi up --refresh --yes --skip-preview --stack "$stack"
    ;;
  promote-gate)
    [ $# -eq 2 ] || usage
    build
    node dist/stacks/cli.js promote "$1" "$2" --exit-code
    ;;
  recover)
    [ $# -eq 1 ] || usage
    stack="$1"
    need_pulumi
    # Only a file backend can be left cut (scripts/file-backend.js says why); the cloud stores write whole objects.
    url="${PULUMI_BACKEND_URL:-$(pulumi whoami -v 2>/dev/null | sed -n 's/^Backend URL: //p')}"
    case "$url" in
      file://*) node scripts/file-backend.js repair "$url" "$stack" || die "the state of $stack was not repaired (above): nothing changed" ;;
    esac
    # The killed run's lock (refused above while its pulumi still runs on this machine; elsewhere, as in a pipeline
    # whose jobs for a stack run one at a time, the killed job is gone).
    pulumi cancel --yes --stack "$stack" >/dev/null || die "pulumi cancel failed for $stack (above)"
    # What the killed run was in the middle of. The next up settles each object (a create that reached the service
    # is found by its key and taken over, one that did not is made), but the engine keeps a pending create in the
    # state through any number of ups, warning each time, until a refresh clears it: that refresh is done here.
    creates="$(pulumi stack export --stack "$stack" | node -e '
      const d = JSON.parse(require("fs").readFileSync(0, "utf8")).deployment ?? {};
      const ops = d.pending_operations ?? [];
      for (const op of ops) {
        const [, type = "", name = ""] = /::([^:]+(?::[^:]+)*)::([^:]+)$/.exec(op.resource?.urn ?? "") ?? [];
        console.error(`pipeline: the killed run was ${op.type} ${type.split(":").pop()} ${name}`);
      }
      if (!ops.length) console.error("pipeline: the state records nothing in flight");
      console.log(ops.filter((op) => op.type === "creating").length);
    ')" || die "the state of $stack cannot be read (above)"
    if [ "$creates" -gt 0 ]; then
      build
      echo "pipeline: refreshing $stack to clear its $creates pending create(s) (pulumi refresh --clear-pending-creates)" >&2
      pulumi refresh --clear-pending-creates --yes --skip-preview --non-interactive --stack "$stack" >&2 ||
        die "the refresh of $stack failed (above); run \`scripts/pipeline.sh recover $stack\` again once its cause is fixed"
    fi
    echo "pipeline: $stack is unlocked; now \`scripts/pipeline.sh refresh $stack\` (or pulumi up) settles what the killed run left" >&2
    ;;
  -h|--help) usage ;;
  *) echo "pipeline: unknown step $step" >&2; usage ;;
esac
