/**
 * What a create found left behind by an earlier attempt (a lost answer, a killed `pulumi up`), and how it was
 * resolved. Written to the provider host's stderr, which the engine shows in `pulumi up`'s output as the
 * provider's own lines (the dynamic provider plugin's output is not hidden), so the run that follows a crash
 * says which objects may have been left behind and what became of each. Never carries a secret.
 */
const seen: string[] = [];

export function recover(message: string): void {
  seen.push(message);
  process.stderr.write(`pulumi-digdir: ${message}\n`);
}

/** The messages of this process so far (tests read them). */
export function recoveries(): readonly string[] {
  return seen;
}
