// Reading the configuration file: only a regular file of at most 1 MiB, decided before reading
// (a FIFO would block the process, /dev/zero would grow without end), through the descriptor.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_FILE_BYTES, readConfigText } from '../../src/config/file.js';

const directory = mkdtempSync(join(tmpdir(), 'datalineage-file-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function written(name: string, content: string | Buffer): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}

describe('readConfigText', () => {
  it('reads a regular file, and one behind a symbolic link (Kubernetes mounts ConfigMaps so)', () => {
    const path = written('ok.yaml', 'dashboard:\n  port: 1\n');
    expect(readConfigText(path)).toEqual({ text: 'dashboard:\n  port: 1\n' });
    const link = join(directory, 'link.yaml');
    symlinkSync(path, link);
    expect(readConfigText(link)).toEqual({ text: 'dashboard:\n  port: 1\n' });
  });

  it(`reads a file of exactly ${MAX_FILE_BYTES} bytes and refuses one byte more, unread`, () => {
    expect(MAX_FILE_BYTES).toBe(1_048_576);
    const exact = readConfigText(written('exact.yaml', Buffer.alloc(MAX_FILE_BYTES, 0x20)));
    expect('text' in exact && exact.text.length).toBe(MAX_FILE_BYTES);
    expect(readConfigText(written('over.yaml', Buffer.alloc(MAX_FILE_BYTES + 1, 0x20)))).toEqual({
      problem: 'is 1048577 bytes; a configuration file may have at most 1048576 bytes (1 MiB)',
    });
  });

  it('refuses a directory, a device and a FIFO at once, without reading or blocking', () => {
    const fifo = join(directory, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const start = performance.now();
    expect(readConfigText(directory)).toEqual({ problem: 'is a directory, not a regular file' });
    expect(readConfigText('/dev/zero')).toEqual({ problem: 'is a character device, not a regular file' });
    expect(readConfigText(fifo)).toEqual({ problem: 'is a FIFO (named pipe), not a regular file' });
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('says a missing file is missing', () => {
    expect(readConfigText(join(directory, 'none.yaml'))).toEqual({ problem: 'file not found' });
  });
});
