import { readFileSync } from "node:fs";

/** Running: exists and is not a zombie waiting for a parent that may never reap it. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

/** Polls `what` every 100 ms for up to `ms`; its last answer. */
export async function until(what: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (what()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return what();
}
