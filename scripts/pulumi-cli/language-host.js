#!/usr/bin/env node
// pulumi-language-nodejs, written in JavaScript.
//
// The Pulumi engine starts one "language host" per program run. Upstream ships a Go binary for Node.js
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3), but that is a nested Go module which the
// Go module proxy reachable here does not serve, so this file stands in for it. scripts/pulumi-cli.sh copies it
// into the CLI's bin directory as an executable named `pulumi-language-nodejs`.
//
// Protocol (the same as every Pulumi plugin): the engine starts us as `pulumi-language-nodejs [flags] <engine>`
// with the project directory as cwd, we serve `pulumirpc.LanguageRuntime` over gRPC on 127.0.0.1 and print the
// port as the first line of stdout. The gRPC stubs and @grpc/grpc-js are those of the project's own
// @pulumi/pulumi (resolved from the working directory), so no extra npm package is needed.
//
// What it implements: Handshake, GetPluginInfo, GetRequiredPackages (node_modules packages whose package.json has
// `pulumi.resource: true`), GetRequiredPlugins (the same, older form), Run (runs `@pulumi/pulumi/cmd/run` from
// the program directory with the arguments and environment the Go host passes), Cancel, About,
// GetProgramDependencies, InstallDependencies (does nothing but say so), RuntimeOptionsPrompts and Template
// (empty answers). Everything else (RunPlugin, GenerateProgram/Project/Package, Pack, Link) answers
// UNIMPLEMENTED. Not supported compared with the Go host: synchronous invokes (`--sync` pipes; the SDK only uses
// them for the long-deprecated `invokeSync`), attaching a debugger, and the `bun` runtime.
//
// Debug output to stderr (which the engine logs): PULUMI_LANGUAGE_NODEJS_DEBUG=1.
"use strict";

const childProcess = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const path = require("node:path");
const { createRequire } = require("node:module");

const DEBUG = /^(1|true)$/i.test(process.env.PULUMI_LANGUAGE_NODEJS_DEBUG || "");
const debug = (...a) => {
  if (DEBUG) console.error("[pulumi-language-nodejs]", ...a);
};

// Exit code with which @pulumi/pulumi/cmd/run says "I already showed the user an actionable error".
const EXIT_ALREADY_REPORTED = 32;

// ---- command line (Go `flag` style: -name value, -name=value, --name=value; then the engine address) ----------
function parseArgs(argv) {
  const withValue = new Set(["tracing", "runtime", "root"]);
  const out = { engine: "", flags: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("-") && a.length > 1) {
      const body = a.replace(/^--?/, "");
      const eq = body.indexOf("=");
      if (eq >= 0) out.flags[body.slice(0, eq)] = body.slice(eq + 1);
      else if (withValue.has(body) && i + 1 < argv.length) out.flags[body] = argv[++i];
      else out.flags[body] = true;
    } else if (!out.engine) {
      out.engine = a;
    }
  }
  return out;
}
const cli = parseArgs(process.argv.slice(2));

// ---- the SDK whose gRPC stubs we use --------------------------------------------------------------------------
function resolveFrom(dir, request) {
  return createRequire(path.join(path.resolve(dir), "__pulumi_language_nodejs__.js")).resolve(request);
}
function loadSdk() {
  const candidates = [process.env.PULUMI_LANGUAGE_NODEJS_SDK_DIR, cli.flags.root, process.cwd(), __dirname].filter(
    (d) => typeof d === "string" && d,
  );
  for (const dir of candidates) {
    let pkgJson;
    try {
      pkgJson = resolveFrom(dir, "@pulumi/pulumi/package.json");
    } catch {
      continue;
    }
    const req = createRequire(pkgJson);
    return {
      version: JSON.parse(fs.readFileSync(pkgJson, "utf8")).version,
      grpc: req("@grpc/grpc-js"),
      services: req("./proto/language_grpc_pb"),
      messages: req("./proto/language_pb"),
      plugin: req("./proto/plugin_pb"),
      empty: req("google-protobuf/google/protobuf/empty_pb"),
      dir: path.dirname(pkgJson),
    };
  }
  console.error(
    "pulumi-language-nodejs: cannot find @pulumi/pulumi from " +
      candidates.join(", ") +
      ". It looks like the Pulumi SDK has not been installed. Have you run npm install?",
  );
  process.exit(1);
}

if (cli.flags.version) {
  // Like the Go host: print the version and exit (without needing the SDK if it is missing).
  try {
    console.log("v" + loadSdk().version);
  } catch {
    console.log("unknown");
  }
  process.exit(0);
}

const sdk = loadSdk();
const { grpc } = sdk;
const lang = sdk.messages;
debug(`SDK ${sdk.version} at ${sdk.dir}; engine ${cli.engine || "(none yet)"}; cwd ${process.cwd()}`);

let engineAddress = cli.engine;
const running = new Set(); // child processes of Run, for Cancel and shutdown

// ---- helpers --------------------------------------------------------------------------------------------------
function programInfo(req) {
  const info = req.getInfo && req.getInfo();
  const options = info && info.getOptions() ? info.getOptions().toJavaScript() : {};
  return {
    rootDirectory: (info && info.getRootDirectory()) || "",
    programDirectory: (info && info.getProgramDirectory()) || (req.getPwd && req.getPwd()) || process.cwd(),
    entryPoint: (info && info.getEntryPoint()) || (req.getProgram && req.getProgram()) || ".",
    options: options || {},
  };
}

// Options from Pulumi.yaml `runtime.options` that the Node.js host understands.
function nodeOptions(options) {
  const o = { typescript: true, tsconfig: "", nodeargs: "" };
  if ("typescript" in options) {
    if (typeof options.typescript !== "boolean") throw new Error("typescript option must be a boolean");
    o.typescript = options.typescript;
  }
  if ("tsconfig" in options) {
    if (typeof options.tsconfig !== "string") throw new Error("tsconfigpath option must be a string");
    o.tsconfig = options.tsconfig;
  }
  if ("nodeargs" in options) {
    if (typeof options.nodeargs !== "string") throw new Error("nodeargs option must be a string");
    o.nodeargs = options.nodeargs;
  }
  return o;
}

// A small shell-like word splitter for `nodeargs` (quotes and backslashes; no expansion).
function splitWords(s) {
  const words = [];
  let cur = "",
    inWord = false,
    quote = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = "";
      else if (c === "\\" && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) {
        words.push(cur);
        cur = "";
        inWord = false;
      }
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated quote in nodeargs: ${s}`);
  if (inWord) words.push(cur);
  return words;
}

// Config keys arrive as `<namespace>:<name>`; the Node.js SDK reads `<namespace>:config:<name>` (it accepts both,
// the Go host sends the old form, so do we).
function constructConfig(req) {
  const out = {};
  for (const [key, value] of req.getConfigMap().entries()) {
    const parts = key.split(":");
    let ns, name;
    if (parts.length === 2) [ns, name] = parts;
    else if (parts.length === 3 && parts[1] === "config") [ns, , name] = parts;
    else
      throw new Error(`could not parse ${key} as a configuration key ` + "(configuration keys should be of the form `<namespace>:<name>`)");
    out[`${ns}:config:${name}`] = value;
  }
  return JSON.stringify(out);
}

function rpcError(code, message) {
  const e = new Error(message);
  e.code = code;
  return e;
}

// Wrap an async handler into a grpc-js unary handler.
function unary(name, fn) {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request, call))
      .then(
        (res) => callback(null, res),
        (err) => {
          debug(`${name} failed:`, err && err.stack ? err.stack : err);
          callback(err && typeof err.code === "number" ? err : rpcError(grpc.status.UNKNOWN, String((err && err.message) || err)));
        },
      );
  };
}

// Packages under <dir>/node_modules (deeply) whose package.json declares a Pulumi resource plugin.
function requiredPackages(programDirectory) {
  const found = new Map();
  const seen = new Set();
  const visitNodeModules = (nm) => {
    let real;
    try {
      real = fs.realpathSync(nm);
    } catch {
      return;
    }
    if (seen.has(real)) return;
    seen.add(real);
    let entries;
    try {
      entries = fs.readdirSync(real);
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.startsWith(".")) continue;
      if (e.startsWith("@")) {
        let scoped;
        try {
          scoped = fs.readdirSync(path.join(real, e));
        } catch {
          continue;
        }
        for (const s of scoped) visitPackage(path.join(real, e, s));
      } else {
        visitPackage(path.join(real, e));
      }
    }
  };
  const visitPackage = (dir) => {
    let info;
    try {
      info = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    } catch {
      return;
    }
    const p = info && info.pulumi;
    if (p && p.resource === true) {
      let name = p.name;
      if (!name && typeof info.name === "string" && info.name.startsWith("@pulumi/")) name = info.name.slice(8);
      let version = p.version || info.version || "";
      if (version && !version.startsWith("v")) version = "v" + version;
      if (name) found.set(`${name}@${version}`, { name, version, server: p.server || "", parameterization: p.parameterization });
      else console.error(`pulumi-language-nodejs: ${dir}/package.json declares a resource plugin but no pulumi.name`);
    }
    visitNodeModules(path.join(dir, "node_modules"));
  };
  // the program directory and its ancestors (Node resolves packages from all of them)
  for (let d = path.resolve(programDirectory); ; d = path.dirname(d)) {
    visitNodeModules(path.join(d, "node_modules"));
    if (path.dirname(d) === d) break;
  }
  return [...found.values()];
}

// ---- the service ------------------------------------------------------------------------------------------------
const impl = {
  handshake: unary("Handshake", (req) => {
    engineAddress = req.getEngineAddress() || engineAddress;
    watchEngine();
    return new lang.LanguageHandshakeResponse();
  }),

  getPluginInfo: unary("GetPluginInfo", () => {
    const info = new sdk.plugin.PluginInfo();
    info.setVersion(sdk.version);
    return info;
  }),

  getRequiredPackages: unary("GetRequiredPackages", (req) => {
    const res = new lang.GetRequiredPackagesResponse();
    for (const p of requiredPackages(programInfo(req).programDirectory)) {
      const dep = new sdk.plugin.PackageDependency();
      dep.setName(p.name);
      dep.setKind("resource");
      dep.setVersion(p.version);
      dep.setServer(p.server);
      if (p.parameterization) {
        const pp = new sdk.plugin.PackageParameterization();
        pp.setName(p.parameterization.name || "");
        pp.setVersion(p.parameterization.version || "");
        if (p.parameterization.value) pp.setValue(Buffer.from(p.parameterization.value, "base64"));
        dep.setParameterization(pp);
      }
      res.addPackages(dep);
    }
    debug(
      "GetRequiredPackages ->",
      res.getPackagesList().map((p) => `${p.getName()}@${p.getVersion()}`),
    );
    return res;
  }),

  getRequiredPlugins: unary("GetRequiredPlugins", (req) => {
    const res = new lang.GetRequiredPluginsResponse();
    const dir = (req.getInfo() && req.getInfo().getProgramDirectory()) || req.getProgram() || process.cwd();
    for (const p of requiredPackages(dir)) {
      const dep = new sdk.plugin.PluginDependency();
      dep.setName(p.name);
      dep.setKind("resource");
      dep.setVersion(p.version);
      dep.setServer(p.server);
      res.addPlugins(dep);
    }
    return res;
  }),

  run: unary("Run", (req, call) => runProgram(req, call)),

  cancel: unary("Cancel", () => {
    for (const child of running) stopChild(child);
    return new sdk.empty.Empty();
  }),

  about: unary("About", () => {
    const res = new lang.AboutResponse();
    res.setExecutable(process.execPath);
    res.setVersion(process.version);
    res.getMetadataMap().set("packagemanager", "npm");
    res.getMetadataMap().set("languagehost", "pulumi-digdir JavaScript language host");
    return res;
  }),

  getProgramDependencies: unary("GetProgramDependencies", (req) => {
    const { programDirectory } = programInfo(req);
    const res = new lang.GetProgramDependenciesResponse();
    let pkg = {};
    try {
      pkg = JSON.parse(fs.readFileSync(path.join(programDirectory, "package.json"), "utf8"));
    } catch {
      /* none */
    }
    const names = [...new Set([...Object.keys(pkg.dependencies || {}), ...Object.keys(pkg.devDependencies || {})])];
    for (const name of names.sort()) {
      let version;
      try {
        version = JSON.parse(fs.readFileSync(resolveFrom(programDirectory, `${name}/package.json`), "utf8")).version;
      } catch {
        version = (pkg.dependencies || {})[name] || (pkg.devDependencies || {})[name] || "";
      }
      const d = new lang.DependencyInfo();
      d.setName(name);
      d.setVersion(version);
      res.addDependencies(d);
    }
    return res;
  }),

  installDependencies: (call) => {
    const { programDirectory } = programInfo(call.request);
    const hasModules = fs.existsSync(path.join(programDirectory, "node_modules"));
    const msg =
      "pulumi-language-nodejs (pulumi-digdir): not installing dependencies; run `npm ci` (or npm install) " +
      `in ${programDirectory} yourself${hasModules ? "" : " — there is no node_modules there yet"}.\n`;
    const res = new lang.InstallDependenciesResponse();
    res.setStdout(Buffer.from(msg));
    call.write(res);
    call.end();
  },

  runtimeOptionsPrompts: unary("RuntimeOptionsPrompts", () => new lang.RuntimeOptionsResponse()),
  template: unary("Template", () => new lang.TemplateResponse()),
  // RunPlugin, GenerateProgram, GenerateProject, GeneratePackage, Pack, Link: left out, grpc-js answers
  // UNIMPLEMENTED for them.
};

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    child.kill("SIGINT");
  } catch {
    /* gone */
  }
  const t = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      /* gone */
    }
  }, 5000);
  t.unref();
}

function runProgram(req, call) {
  const res = new lang.RunResponse();
  const fail = (msg) => {
    res.setError(msg);
    return res;
  };
  if (!engineAddress) return fail("when debugging or running explicitly, must call Handshake before Run");

  const info = programInfo(req);
  let opts;
  try {
    opts = nodeOptions(info.options);
  } catch (e) {
    return fail(e.message);
  }

  let runPath = process.env.PULUMI_LANGUAGE_NODEJS_RUN_PATH || "@pulumi/pulumi/cmd/run";
  try {
    runPath = resolveFrom(info.programDirectory, runPath);
  } catch {
    return fail("It looks like the Pulumi SDK has not been installed. Have you run pulumi install?");
  }

  let config, nodeArgs;
  try {
    config = constructConfig(req);
  } catch (e) {
    return fail(`failed to serialize configuration: ${e.message}`);
  }
  try {
    nodeArgs = splitWords(opts.nodeargs);
  } catch (e) {
    return fail(e.message);
  }

  // `--name=value` rather than `--name value`: minimist would not take a value that starts with "-".
  const args = [...nodeArgs, runPath];
  const flag = (name, value) => {
    if (value !== undefined && value !== null && value !== "") args.push(`--${name}=${value}`);
  };
  flag("monitor", req.getMonitorAddress());
  flag("engine", engineAddress);
  flag("organization", req.getOrganization());
  flag("project", req.getProject());
  flag("root-directory", info.rootDirectory);
  flag("stack", req.getStack());
  flag("pwd", info.programDirectory);
  if (req.getDryrun()) args.push("--dry-run");
  flag("parallel", String(req.getParallel()));
  if (typeof cli.flags.tracing === "string") flag("tracing", cli.flags.tracing);
  args.push(info.entryPoint || ".");
  args.push(...req.getArgsList());

  const env = { ...process.env };
  env.PULUMI_CONFIG = config;
  env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(req.getConfigsecretkeysList());
  if (opts.typescript) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  else delete env.PULUMI_NODEJS_TYPESCRIPT;
  if (opts.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = opts.tsconfig;

  debug("Run:", process.execPath, args.join(" "));
  return new Promise((resolve) => {
    let child;
    try {
      // stdout/stderr go straight to ours; the engine shows what plugins print.
      child = childProcess.spawn(process.execPath, args, { cwd: info.programDirectory, env, stdio: ["ignore", "inherit", "inherit"] });
    } catch (e) {
      resolve(fail(`Problem executing program (could not run language executor): ${e.message}`));
      return;
    }
    running.add(child);
    const onCancelled = () => stopChild(child);
    call.on("cancelled", onCancelled);
    child.on("error", (e) => {
      running.delete(child);
      resolve(fail(`Problem executing program (could not run language executor): ${e.message}`));
    });
    child.on("exit", (code, signal) => {
      running.delete(child);
      call.removeListener("cancelled", onCancelled);
      debug(`program exited code=${code} signal=${signal}`);
      if (code === 0) resolve(res);
      else if (code === EXIT_ALREADY_REPORTED) {
        res.setBail(true);
        resolve(res);
      } else if (code !== null) resolve(fail(`Program exited with non-zero exit code: ${code}`));
      else resolve(fail(`Program exited unexpectedly: killed by ${signal}`));
    });
  });
}

// ---- engine liveness: exit when the engine that started us is gone ------------------------------------------------
// The Go host ends with its engine through a health check on the engine's gRPC address. Killed with SIGKILL (an
// out-of-memory kill, a cancelled CI job), `pulumi` cannot tell us, so two checks, as providers/core/host-watch.ts
// does for the dynamic provider host: our parent (the engine, which started us) is no longer our parent (checked
// every second), or the engine's address, once seen answering, refuses connections (probed every 5 s; other
// failures, such as time-outs on a loaded machine, end it only after 6 in a row). Then the program we run is stopped
// too, and we exit. Timers are unreferenced: they never keep the host alive by themselves.
const parentAtStart = process.ppid;
let watching = false;
function watchEngine() {
  if (watching) return;
  watching = true;
  const m = /^(.*):(\d+)$/.exec(engineAddress || "");
  const host = m ? m[1].replace(/^\[|\]$/g, "") || "127.0.0.1" : "";
  const port = m ? Number(m[2]) : 0;
  let seen = false;
  let failures = 0;
  let probing = false;
  let ticks = 0;
  const gone = (why) => {
    clearInterval(timer);
    debug(`engine gone (${why}); exiting`);
    shutdown(0, { engineGone: true });
  };
  const probe = () => {
    if (!port || probing) return;
    probing = true;
    const sock = net.connect({ host, port });
    sock.setTimeout(2000);
    const done = (ok, refused) => {
      probing = false;
      sock.destroy();
      if (ok) {
        seen = true;
        failures = 0;
      } else if (refused && seen) gone(`${engineAddress} refuses connections`);
      else if (++failures >= 6) gone(`${engineAddress} unreachable 6 times in a row`);
    };
    sock.once("connect", () => done(true, false));
    sock.once("error", (e) => done(false, e.code === "ECONNREFUSED"));
    sock.once("timeout", () => done(false, false));
  };
  const timer = setInterval(() => {
    if (process.ppid !== parentAtStart) gone(`our parent ${parentAtStart} exited`);
    else if (++ticks % 5 === 0) probe();
  }, 1000);
  timer.unref();
  probe();
}

// ---- start --------------------------------------------------------------------------------------------------------
const server = new grpc.Server();
server.addService(sdk.services.LanguageRuntimeService, impl);

let shuttingDown = false;
function shutdown(code, opts = {}) {
  if (shuttingDown) return;
  shuttingDown = true;
  for (const child of running) stopChild(child);
  server.forceShutdown();
  process.exitCode = code;
  // The programs we started get the time stopChild gives them (SIGINT, then SIGKILL) before we go, so none is left
  // running without its host; on an ordinary SIGINT/SIGTERM from the engine, 200 ms as before.
  const deadline = Date.now() + (opts.engineGone ? 6000 : 200);
  const wait = setInterval(() => {
    if (running.size === 0 || Date.now() > deadline) process.exit(code);
  }, 100);
  wait.unref();
  setTimeout(() => process.exit(code), opts.engineGone ? 6500 : 200).unref();
}
process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));

server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    console.error(`pulumi-language-nodejs: could not start the gRPC server: ${err.message}`);
    process.exit(1);
  }
  // grpc-js >= 1.10 serves as soon as it is bound (the SDK's own dynamic provider host relies on that too).
  process.stdout.write(`${port}\n`);
  watchEngine();
});
