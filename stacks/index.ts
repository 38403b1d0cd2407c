import * as pulumi from "@pulumi/pulumi";
import { findProjectRoot } from "./config";
import { runStack } from "./program";

// Pulumi.yaml's `main`. The engine runs it with stacks/ as working directory (the folder of `main`); its
// exports are the stack outputs (`pulumi stack output --json`).
export = runStack({ stack: pulumi.getStack(), root: findProjectRoot(__dirname) ?? process.cwd(), config: new pulumi.Config("digdir") });
