import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cephxKey, isCephxKey } from '../../src/secrets/cephx-key.js';
import { CEPHX_ENTITIES, PASSWORD_NAMES, generatePassword, generateSecrets, redactSecrets } from '../../src/secrets/secrets.js';
import { loadOrCreateSecrets, SecretsFileError } from '../../src/secrets/store.js';
import { missingTools, runTool } from './fixtures.js';
import { itWhere } from '../support/requirements.js';

describe('cephx keys', () => {
  it("use Ceph's layout: 12-byte header (type 1, time, length 16) and a 16-byte secret, 40 base64 characters", () => {
    // GIVEN a known secret and time
    const key = cephxKey(Buffer.alloc(16, 0xab), 1_700_000_000_123);
    // THEN the bytes are laid out as ceph-authtool lays them out
    const raw = Buffer.from(key, 'base64');
    expect(key).toHaveLength(40);
    expect(raw.readUInt16LE(0)).toBe(1);
    expect(raw.readUInt32LE(2)).toBe(1_700_000_000);
    expect(raw.readUInt32LE(6)).toBe(123_000_000);
    expect(raw.readUInt16LE(10)).toBe(16);
    expect(raw.subarray(12)).toEqual(Buffer.alloc(16, 0xab));
    expect(isCephxKey(key)).toBe(true);
  });

  it('fails on a secret of the wrong size', () => {
    expect(() => cephxKey(Buffer.alloc(8), 0)).toThrow(/16 bytes, got 8/);
  });

  const skip = missingTools(['ceph-authtool']);
  itWhere(skip, "are accepted by ceph-authtool, and ceph-authtool's own keys pass isCephxKey", async () => {
    // GIVEN a keyring made with one of our keys
    const dir = mkdtempSync(join(tmpdir(), 'cephx-'));
    try {
      const ours = generateSecrets().cephx['client.admin'];
      const keyring = join(dir, 'k');
      // WHEN ceph-authtool imports it and prints it back
      const made = await runTool('ceph-authtool', ['--create-keyring', keyring, '--name', 'client.test', '--add-key', ours]);
      expect(made.code).toBe(0);
      const printed = await runTool('ceph-authtool', [keyring, '--name', 'client.test', '--print-key']);
      // THEN it is the same key; and a key ceph-authtool generates passes our check
      expect(printed.stdout.trim()).toBe(ours);
      const theirs = await runTool('ceph-authtool', ['--gen-print-key']);
      expect(isCephxKey(theirs.stdout.trim())).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the secrets file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'secrets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is created once with mode 0600 and every secret, then read back unchanged', () => {
    // GIVEN no secrets file
    const file = join(dir, '.testbed', 'x', 'secrets.json');
    // WHEN loaded twice
    const first = loadOrCreateSecrets(file);
    const second = loadOrCreateSecrets(file);
    // THEN the first call writes it (0600, folder 0700), the second reuses it
    expect(first.written).toBe(true);
    expect(second).toEqual({ secrets: first.secrets, written: false });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, '.testbed', 'x')).mode & 0o777).toBe(0o700);
    expect(Object.keys(first.secrets.passwords).sort()).toEqual([...PASSWORD_NAMES].sort());
    expect(Object.keys(first.secrets.cephx).sort()).toEqual([...CEPHX_ENTITIES].sort());
    expect(first.secrets.rbd_secret_uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('keeps existing secrets and adds only the missing ones', () => {
    // GIVEN a file from an older version, without one password and one key
    const file = join(dir, 'secrets.json');
    const old = generateSecrets();
    const { rabbitmq: _r, ...passwords } = old.passwords;
    const { 'client.glance': _g, ...cephx } = old.cephx;
    writeFileSync(file, JSON.stringify({ ...old, passwords, cephx }), { mode: 0o644 });
    // WHEN loaded
    const { secrets, written } = loadOrCreateSecrets(file);
    // THEN the others are untouched, the missing ones exist, and the file is private again
    expect(written).toBe(true);
    expect(secrets.passwords.nova_db).toBe(old.passwords.nova_db);
    expect(secrets.cephx['mon.']).toBe(old.cephx['mon.']);
    expect(secrets.passwords.rabbitmq).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(isCephxKey(secrets.cephx['client.glance'])).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(secrets);
  });

  it('fails on a damaged file naming the file and key path, never the value', () => {
    const file = join(dir, 'secrets.json');
    writeFileSync(file, JSON.stringify({ ...generateSecrets(), cephx: { 'client.admin': 'not-a-key-but-a-secret-value' } }));
    expect(() => loadOrCreateSecrets(file)).toThrow(SecretsFileError);
    expect(() => loadOrCreateSecrets(file)).toThrow(/cephx\.client\.admin: a cephx key/);
    expect(() => loadOrCreateSecrets(file)).not.toThrow(/not-a-key-but-a-secret-value/);
  });

  it('generates passwords of letters and digits only (safe in URLs and INI files)', () => {
    for (let i = 0; i < 20; i++) expect(generatePassword()).toMatch(/^[A-Za-z0-9]{32}$/);
  });

  it('redacts every secret value from text', () => {
    const s = generateSecrets();
    const text = `pw=${s.passwords.nova_db} key=${s.cephx['client.admin']} uuid=${s.rbd_secret_uuid}`;
    expect(redactSecrets(text, s)).toBe('pw=<secret> key=<secret> uuid=<secret>');
  });
});
