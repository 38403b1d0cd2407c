// Pulumi.yaml's `main`: the program as `npm run build` compiled it (dist/stacks/index.js, from stacks/index.ts).
// Compiled, not through ts-node: compiling the program on every pulumi command cost about a second of CPU, and the
// provider host runs dist/ anyway. This file stays in stacks/ so that the engine keeps stacks/ as the working
// directory of the program and the provider host (stacks/README.md, "The program"). The program refuses to run on
// a stale build (stacks/build-check.ts).
"use strict";
let program;
try {
  program = require("../dist/stacks/index.js");
} catch (e) {
  if (e && e.code === "MODULE_NOT_FOUND" && String(e.message).includes("dist/stacks/index.js"))
    throw new Error(
      "pulumi-digdir: the program is not built (dist/stacks/index.js does not exist): run `npm run build`, then run the pulumi command again.",
      { cause: e },
    );
  throw e;
}
module.exports = program;
