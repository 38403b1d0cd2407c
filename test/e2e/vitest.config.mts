import { defineConfig } from "vitest/config";

// `npm run test:e2e`: the real Pulumi CLI end to end (test/e2e/README.md). Not part of `npm test`: its files are
// named *.e2e.ts, which the root config's test/**/*.test.ts does not match.
export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/e2e/**/*.e2e.ts"],
    globalSetup: ["test/e2e/global-setup.ts"],
    // The steps of a journey depend on each other: stop at the first failure instead of piling up consequences.
    bail: 1,
    // One engine at a time: each `pulumi` command already uses both cores (ts-node, the provider host).
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: "forks",
  },
});
