/**
 * A minimal writer of the `newc` cpio format the Linux kernel unpacks as an initramfs. Pure: entries
 * in, bytes out. (Debian has no `cpio` binary by default; this also keeps the build free of shell pipes.)
 */
export type CpioEntry =
  | { readonly type: 'dir'; readonly path: string; readonly mode?: number }
  | { readonly type: 'file'; readonly path: string; readonly data: Uint8Array; readonly mode?: number }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string }
  | { readonly type: 'chardev'; readonly path: string; readonly major: number; readonly minor: number; readonly mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

function record(ino: number, mode: number, name: string, data: Uint8Array, rdev: [number, number] = [0, 0]): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const fields = [ino, mode, 0, 0, mode & S_IFDIR ? 2 : 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
  const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii');
  const headPad = Buffer.alloc(pad4(header.length + nameBytes.length));
  return Buffer.concat([header, nameBytes, headPad, data, Buffer.alloc(pad4(data.length))]);
}

/** The archive, ending with the TRAILER!!! record. Paths are relative (no leading slash). */
export function newcArchive(entries: readonly CpioEntry[]): Buffer {
  const parts = entries.map((e, i) => {
    const path = e.path.replace(/^\/+/, '');
    switch (e.type) {
      case 'dir':
        return record(i + 1, S_IFDIR | (e.mode ?? 0o755), path, new Uint8Array());
      case 'file':
        return record(i + 1, S_IFREG | (e.mode ?? 0o644), path, e.data);
      case 'symlink':
        return record(i + 1, S_IFLNK | 0o777, path, Buffer.from(e.target, 'utf8'));
      case 'chardev':
        return record(i + 1, S_IFCHR | (e.mode ?? 0o600), path, new Uint8Array(), [e.major, e.minor]);
    }
  });
  return Buffer.concat([...parts, record(0, 0, 'TRAILER!!!', new Uint8Array())]);
}
