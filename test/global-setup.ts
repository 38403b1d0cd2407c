import { execFileSync } from "node:child_process";

// Engine-path tests run the providers inside the SDK's dynamic provider host, which loads the compiled
// JavaScript under dist/ (see providers/README.md). Build it once, before any test file runs.
export default function setup(): void {
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    stdio: "inherit",
  });
}
