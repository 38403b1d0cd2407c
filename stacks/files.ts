import { closeSync, constants, fstatSync, openSync, readSync, statSync } from "node:fs";

/**
 * Reading the files a stack file names (and the stack file itself) without hanging or running out of memory:
 * only a regular file is opened (a named pipe would block, `/dev/zero` never ends), never more than `limit`
 * bytes are read, and the text must be UTF-8. Failures are plain sentences for the caller to place.
 */
export class FileReadError extends Error {
  constructor(
    message: string,
    /** Where in the file, for invalid UTF-8: 1-based line and column. */
    readonly at?: { line: number; col: number },
  ) {
    super(message);
  }
}

export function readTextFile(file: string, limit: number): string {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileReadError(code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e as Error).message);
  }
  if (!st.isFile()) throw new FileReadError(`it is ${kindOf(st)}, not a regular file`);
  if (st.size > limit) throw new FileReadError(`it is ${st.size} bytes, more than the ${limit} allowed`);
  // O_NONBLOCK: should the path have become a named pipe since the stat, opening it does not wait for a writer.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const again = fstatSync(fd);
    if (!again.isFile()) throw new FileReadError(`it is ${kindOf(again)}, not a regular file`);
    const buf = Buffer.alloc(Math.min(limit, again.size) + 1);
    let n = 0;
    for (let got; n < buf.length && (got = readSync(fd, buf, n, buf.length - n, null)) > 0;) n += got;
    if (n > limit) throw new FileReadError(`it is more than the ${limit} bytes allowed`);
    return decodeUtf8(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

function kindOf(st: import("node:fs").Stats): string {
  if (st.isDirectory()) return "a folder";
  if (st.isFIFO()) return "a named pipe";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/** The text, or a FileReadError at the first byte that is not UTF-8. */
export function decodeUtf8(buf: Buffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(buf);
  } catch {
    const offset = firstInvalidUtf8(buf);
    const before = buf.subarray(0, offset);
    const line = before.filter((b) => b === 0x0a).length + 1;
    const lineStart = before.lastIndexOf(0x0a) + 1;
    const col = new TextDecoder().decode(buf.subarray(lineStart, offset)).length + 1;
    throw new FileReadError(
      `it is not UTF-8 text (byte 0x${buf[offset]!.toString(16).padStart(2, "0")} at line ${line}, column ${col}): save it as UTF-8`,
      { line, col },
    );
  }
}

function firstInvalidUtf8(b: Buffer): number {
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    const need = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    // Overlongs, surrogates and code points past U+10FFFF.
    if (
      (c === 0xe0 && b[i + 1]! < 0xa0) ||
      (c === 0xed && b[i + 1]! > 0x9f) ||
      (c === 0xf0 && b[i + 1]! < 0x90) ||
      (c === 0xf4 && b[i + 1]! > 0x8f)
    )
      return i;
    i += need + 1;
  }
  return 0;
}
