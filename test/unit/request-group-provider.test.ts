import { describe, expect, test } from "vitest";
import { heapGrowingPercent, hostHeapFlag } from "../../providers/altinn/request-group-provider";

describe("the provider host's heap", () => {
  const host = ["/usr/bin/node", "/p/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js", "127.0.0.1:4000"];
  test("bounded in the SDK's provider host only, and never over the host's own node options", () => {
    expect(hostHeapFlag(host, {}, [])).toBe(`--heap-growing-percent=${heapGrowingPercent}`);
    expect(hostHeapFlag(["/usr/bin/node", "/p/dist/stacks/index.js"], {}, [])).toBeUndefined();
    expect(hostHeapFlag(host, { NODE_OPTIONS: "--max-old-space-size=2048" }, [])).toBeUndefined();
    expect(hostHeapFlag(host, { NODE_OPTIONS: "--max_old_space_size=2048" }, [])).toBeUndefined();
    expect(hostHeapFlag(host, { NODE_OPTIONS: "--require x.js" }, ["--heap-growing-percent=80"])).toBeUndefined();
    expect(hostHeapFlag(host, { NODE_OPTIONS: "--require x.js" }, [])).toBeDefined();
  });
});
