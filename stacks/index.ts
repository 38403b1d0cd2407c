import * as pulumi from "@pulumi/pulumi";
import { findProjectRoot } from "./config";
import { readOwnOutputs } from "./manifest";
import { runStack } from "./program";

// Pulumi.yaml's `main`. The engine runs it with stacks/ as working directory (the folder of `main`); its
// exports are the stack outputs (`pulumi stack output --json`). The last update's outputs are read first: their
// manifest tells the program what this run deletes or replaces (stacks/manifest.ts).
export = async () =>
  runStack({
    stack: pulumi.getStack(),
    root: findProjectRoot(__dirname) ?? process.cwd(),
    config: new pulumi.Config("digdir"),
    last: await readOwnOutputs(),
  });
