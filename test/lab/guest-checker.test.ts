/**
 * The guest's checker (guest/dirtier.c) run natively on the host, with a plain file as its disk: it
 * must pass on an untouched pattern and report exactly what was changed behind its back, in memory
 * (its test hook) and on disk (written by the host, as a storage fault would). The same program runs
 * inside every lab guest; test/lab/smoke.test.ts checks it across real Nova live migrations.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseVerification, verificationProblem } from '../../src/lab/guest-verification.js';
import { describeWhere, missing } from '../support/requirements.js';

const SOURCE = new URL('../../guest/dirtier.c', import.meta.url).pathname;

describeWhere(missing({ binaries: ['gcc'] }), "the guest's checker", () => {
  let dir: string;
  let child: ChildProcess;
  let out = '';

  const waitFor = async (re: RegExp, from: number): Promise<RegExpExecArray> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const m = re.exec(out.slice(from));
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`no ${re} in: ${out.slice(from)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  let id = 0;
  const verify = async () => {
    const from = out.length;
    writeFileSync(join(dir, 'verify.id'), String(++id));
    child.kill('SIGUSR1');
    const m = await waitFor(new RegExp(`RESULT-${id} ([^\\n]*)`), from);
    return parseVerification(m[1]!, 0);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'checker-'));
    execFileSync('gcc', ['-static', '-O2', '-Wall', '-o', join(dir, 'dirtier'), SOURCE]);
    execFileSync('truncate', ['-s', '4M', join(dir, 'disk.raw')]);
    // A 16 MiB working set dirtied at 32 MiB/s inside a 24 MiB pattern, and a 128-block disk ring rewritten at 50/s.
    child = spawn(
      join(dir, 'dirtier'),
      [
        ...['--ws-mib', '16', '--verify-mib', '24', '--rate-mib-s', '32'],
        ...['--disk', join(dir, 'disk.raw'), '--disk-blocks', '128', '--disk-ops-s', '50'],
        ...['--report-ms', '200', '--stat-file', join(dir, 'stat'), '--control-dir', dir],
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(/DIRTIER start [^\n]*\n/, 0);
    await waitFor(/STAT [^\n]*dirty_pages=[1-9]/, 0);
  });

  afterAll(() => {
    child?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('checks every page of its pattern and every block of its ring, and finds nothing wrong in an untouched run', async () => {
    const v = await verify();
    expect(v).toMatchObject({ ok: true, memPages: 6144, memBad: 0, diskBlocks: 128, diskBad: 0 });
    expect(verificationProblem(v)).toBeUndefined();
  });

  it('reports a page changed behind its back, even one bit away from the word the load writes', async () => {
    // WHEN one bit in the middle of page 5000 (outside the working set: nothing rewrites it) flips
    const from = out.length;
    writeFileSync(join(dir, 'corrupt.page'), '5000');
    child.kill('SIGUSR2');
    await waitFor(/CORRUPTED page=5000/, from);
    // THEN the check fails on exactly that page, and says so
    const v = await verify();
    expect(v).toMatchObject({ ok: false, memPages: 6144, memBad: 1, diskBad: 0 });
    expect(v.line).toContain('first_bad_page=5000');
    expect(verificationProblem(v)).toBe('1 of 6144 pages differ');
  });

  it('reports a disk block overwritten on the storage, read back past any cache', async () => {
    // WHEN the host overwrites block 3 of the ring in the disk file (O_DIRECT, as a lost or torn write would leave it)
    const disk = join(dir, 'disk.raw');
    const before = readFileSync(disk).subarray(3 * 4096, 4 * 4096);
    execFileSync('dd', ['if=/dev/zero', `of=${disk}`, 'bs=4096', 'seek=3', 'count=1', 'conv=notrunc', 'oflag=direct', 'status=none']);
    expect(before.some((b) => b !== 0)).toBe(true);
    // THEN the check names it (unless the load rewrote it in between: then it is another, later block's turn, so retry once)
    let v = await verify();
    if (v.diskBad === 0) {
      execFileSync('dd', ['if=/dev/zero', `of=${disk}`, 'bs=4096', 'seek=3', 'count=1', 'conv=notrunc', 'oflag=direct', 'status=none']);
      v = await verify();
    }
    expect(v).toMatchObject({ ok: false, diskBlocks: 128, diskBad: 1, memBad: 1 });
    expect(v.line).toContain('first_bad_block=3');
    expect(verificationProblem(v)).toBe('1 of 6144 pages differ; 1 of 128 disk blocks differ');
  });

  it('does not count a guest without a disk, or with no pattern, as verified', () => {
    const noDisk = parseVerification('mem=ok mem_bad=0 mem_pages=64 mem_ms=1 disk=none disk_bad=0 disk_blocks=0 disk_ms=0 disk_seq=0', 5);
    expect(noDisk.ok).toBe(false);
    expect(verificationProblem(noDisk)).toBe('no disk blocks checked (no disk, or the ring could not be written)');
    const noPattern = parseVerification('mem=ok mem_bad=0 mem_pages=0 mem_ms=0 disk=ok disk_bad=0 disk_blocks=256 disk_ms=3 disk_seq=300', 5);
    expect(noPattern.ok).toBe(false);
    expect(verificationProblem(noPattern)).toBe('no memory pattern to check');
  });
});
