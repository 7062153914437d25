import { parse } from 'ini';
import { applyIniOverrides, cephKey } from '../../src/templates/ini.js';

const BASE = ['# header', '[DEFAULT]', 'my_ip = 10.0.0.1', 'debug = false', '', '[libvirt]', 'virt_type = kvm', ''].join('\n');

describe('INI overrides layered last', () => {
  it('replaces a key in its own section, in place', () => {
    // GIVEN an override of a key the template sets
    // WHEN applied
    const out = applyIniOverrides(BASE, { libvirt: { virt_type: 'qemu' } });
    // THEN the section holds the new value once, and the other section is untouched
    expect(parse(out)).toMatchObject({ DEFAULT: { my_ip: '10.0.0.1', debug: false }, libvirt: { virt_type: 'qemu' } });
    expect(out.match(/virt_type/g)).toHaveLength(1);
  });

  it('appends a new key to the end of its section, not to the end of the file', () => {
    // GIVEN an override of a key the template does not set
    const out = applyIniOverrides(BASE, { DEFAULT: { debug_extra: 1 } });
    // THEN it lands in [DEFAULT], before [libvirt]
    expect(out.indexOf('debug_extra = 1')).toBeLessThan(out.indexOf('[libvirt]'));
    expect(parse(out).DEFAULT).toMatchObject({ debug_extra: '1' });
  });

  it('creates a section the template does not have', () => {
    const out = applyIniOverrides(BASE, { oslo_messaging_rabbit: { heartbeat_timeout_threshold: 30, amqp_durable_queues: true } });
    expect(parse(out).oslo_messaging_rabbit).toEqual({ heartbeat_timeout_threshold: '30', amqp_durable_queues: true });
  });

  it('matches Ceph keys whether written with spaces or underscores', () => {
    // GIVEN ceph.conf text with underscores and an override written with spaces
    const out = applyIniOverrides('[osd]\nosd_memory_target = 1\n', { osd: { 'osd memory target': 2 } }, { normalizeKey: cephKey });
    // THEN the one key is replaced
    expect(out).toBe('[osd]\nosd memory target = 2\n');
  });

  it('leaves the text as it is without overrides', () => {
    expect(applyIniOverrides(BASE, {})).toBe(BASE);
  });

  it('fails on a value with a line break (it would inject a line)', () => {
    expect(() => applyIniOverrides(BASE, { DEFAULT: { x: 'a\n[evil]' } })).toThrow(/cannot hold a line break/);
  });
});
