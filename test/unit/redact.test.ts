import { describe, expect, test } from "vitest";
import { redact } from "../../providers/core/redact";
import { fakePem } from "../support/keys";

describe("redaction", () => {
  test("redaction masks grants, bearer tokens, PEM and secret members", () => {
    const text = `Bearer abc.def-ghi assertion=eyJhbGciOi.eyJzdWIi.sig {"client_secret":"s3cr3t","d":"xyz"} ${fakePem("AAA")}`;
    const out = redact(text);
    for (const s of ["abc.def-ghi", "s3cr3t", "xyz", "AAA", "eyJzdWIi"]) expect(out).not.toContain(s);
  });
});
