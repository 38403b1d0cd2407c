#!/usr/bin/env node
// After a killed `pulumi` (kill -9, a cancelled CI job, an out-of-memory kill) on a file backend (file://...):
// puts back what the kill can cut, so that `pulumi cancel` and `pulumi up` can load the stack again.
//
//   node scripts/file-backend.js repair <backend URL or folder> <stack>
//
// Why it is needed. Pulumi's file backend stores objects through gocloud.dev's fileblob driver
// (https://github.com/google/go-cloud/blob/v0.46.0/blob/fileblob/fileblob.go, attrs.go). That driver writes the
// object itself atomically (a temporary file next to it, then a rename), but first writes a metadata "sidecar"
// `<object>.attrs` in place (os.Create truncates, then JSON is written). A kill between the two leaves an empty
// sidecar; reading the object then fails on it (an empty JSON stream), and every command on the stack stops with
// `failed to load checkpoint: EOF` while `<stack>.json` itself is whole (the state before the write that was cut).
// Copying `<stack>.json.bak` over it does not help: the cut file is the sidecar. A missing sidecar is read as
// "no metadata" (attrs.go), and Pulumi uses none of it, so a cut one is removed.
//
// A file backend URL with `?metadata=skip` writes no sidecars at all (fileblob's option), so a kill can no longer
// cut anything: scripts/demo.sh and scripts/pipeline.sh use it, and the README recommends it.
//
// It refuses while the stack's lock names a `pulumi` process still running on this machine. It prints what it
// removed, one line each, on stderr; exit 0 when the backend is fine now, 1 on an error.
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

/** The folder of a file backend URL (`file:///abs`, `file://~/x`, `file://./rel`, with or without a query), or a folder. */
function backendFolder(urlOrDir) {
  if (!urlOrDir.startsWith("file://")) return path.resolve(urlOrDir);
  let p = urlOrDir.slice("file://".length).split("?")[0];
  if (p.startsWith("~")) p = path.join(os.homedir(), p.slice(1));
  return path.resolve(decodeURIComponent(p));
}

function walk(dir, out = []) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Whether `pid` is a running `pulumi` on this machine. */
function pulumiRunning(pid) {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return e.code === "EPERM";
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    if (/^\d+ \(.*\) Z/.test(stat)) return false;
    return /(^|\/)pulumi$/.test(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0]);
  } catch {
    return true; // no /proc: a live process with that pid, assume it is the run
  }
}

/** The stack's lock files: `.pulumi/locks/<organization>/<project>/<stack>/<id>.json` (lock.go), or the legacy layout. */
function lockFiles(root, stack) {
  return walk(path.join(root, ".pulumi", "locks")).filter((f) => f.endsWith(".json") && path.basename(path.dirname(f)) === stack);
}

function repair(urlOrDir, stack) {
  const root = backendFolder(urlOrDir);
  if (!fs.existsSync(path.join(root, ".pulumi"))) throw new Error(`${root} holds no Pulumi file backend (no .pulumi folder)`);
  const host = os.hostname();
  for (const lock of lockFiles(root, stack)) {
    let content;
    try {
      content = JSON.parse(fs.readFileSync(lock, "utf8"));
    } catch {
      continue; // cut by the kill too; `pulumi cancel` removes it
    }
    if (content.hostname === host && Number.isInteger(content.pid) && pulumiRunning(content.pid)) {
      throw new Error(
        `the stack ${stack} is locked by pulumi (pid ${content.pid}) still running on this machine: let it finish or stop it first; nothing changed`,
      );
    }
  }
  const removed = [];
  for (const f of walk(path.join(root, ".pulumi"))) {
    if (!f.endsWith(".attrs")) continue;
    const text = fs.readFileSync(f, "utf8");
    let whole = true;
    try {
      JSON.parse(text);
    } catch {
      whole = false;
    }
    if (whole) continue;
    fs.rmSync(f);
    removed.push(f);
    process.stderr.write(
      `file-backend: removed ${path.relative(root, f)} (${text.length === 0 ? "empty" : "cut"}: the kill hit its write; ` +
        `${path.basename(f, ".attrs")} beside it is whole and is read without it)\n`,
    );
  }
  return removed;
}

module.exports = { backendFolder, repair };

if (require.main === module) {
  const [cmd, where, stack] = process.argv.slice(2);
  if (cmd !== "repair" || !where || !stack) {
    process.stderr.write("usage: node scripts/file-backend.js repair <file:// backend URL or folder> <stack>\n");
    process.exit(1);
  }
  try {
    const removed = repair(where, stack);
    if (removed.length === 0) process.stderr.write(`file-backend: nothing cut in ${backendFolder(where)}\n`);
  } catch (e) {
    process.stderr.write(`file-backend: ${e.message}\n`);
    process.exit(1);
  }
}
