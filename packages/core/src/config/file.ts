// Reads the configuration file's text within bounds: a regular file (not a FIFO that would block,
// not a device such as /dev/zero that never ends, not a directory) of at most MAX_FILE_BYTES,
// checked on the opened descriptor and read through it with a buffer one byte larger than the
// limit, so a file that grows while it is read cannot bring more.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';

/** Largest configuration file read: the guide's file is 2 KiB, a large rule set a few hundred. */
export const MAX_FILE_BYTES = 1_048_576;

/** The file's text, or why it was not read (a sentence without the file's content). */
export type FileText = { readonly text: string } | { readonly problem: string };

/** Reads `path` as UTF-8 if it is a regular file of at most {@link MAX_FILE_BYTES}. */
export function readConfigText(path: string): FileText {
  // stat first, so a FIFO, a device or a socket is never even opened (opening some devices acts).
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    return { problem: openProblem(error) };
  }
  const refused = refuse(stats);
  if (refused !== undefined) return { problem: refused };

  let fd: number;
  try {
    // O_NONBLOCK: should the path have been swapped for a FIFO since, opening it does not wait.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    return { problem: openProblem(error) };
  }
  try {
    // The descriptor is what is read, so it is what is checked.
    const opened = refuse(fstatSync(fd));
    if (opened !== undefined) return { problem: opened };
    const buffer = Buffer.allocUnsafe(MAX_FILE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > MAX_FILE_BYTES) return { problem: tooLarge('grew past the limit while it was read') };
    return { text: buffer.toString('utf8', 0, length) };
  } catch (error) {
    return { problem: `cannot read the file (${codeOf(error)})` };
  } finally {
    closeSync(fd);
  }
}

function refuse(stats: Stats): string | undefined {
  if (!stats.isFile()) return `is ${kindOf(stats)}, not a regular file`;
  if (stats.size > MAX_FILE_BYTES) return tooLarge(`is ${stats.size} bytes`);
  return undefined;
}

function tooLarge(what: string): string {
  return `${what}; a configuration file may have at most ${MAX_FILE_BYTES} bytes (1 MiB)`;
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

function openProblem(error: unknown): string {
  const code = codeOf(error);
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EACCES' || code === 'EPERM') return `cannot read the file: permission denied (${code})`;
  return `cannot read the file (${code})`;
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.name : 'unknown error');
}
