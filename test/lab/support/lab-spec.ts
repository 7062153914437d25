/**
 * The spec of a small container lab for the tests that deploy one through cdktf: its own name,
 * lab.dir, range, bridge and link prefix; one Filestore and one Bluestore OSD with pool size 1; the
 * base rootfs and package cache shared with the other host tests (TESTBED_HOSTS_TEST_CACHE).
 */
export const HOSTS_TEST_CACHE = process.env.TESTBED_HOSTS_TEST_CACHE ?? '/var/tmp/testbed-hosts-test-cache';

export interface SmallLabSpec {
  readonly name: string;
  readonly labDir: string;
  readonly cidr: string;
  readonly links: { readonly bridge: string; readonly prefix: string };
  /** More top-level YAML lines after the lab section. @default - none */
  readonly extra?: readonly string[];
}

export function smallLabSpec(p: SmallLabSpec): string {
  return (
    [
      `name: ${p.name}`,
      'lab:',
      `  dir: ${p.labDir}`,
      `  cache_dir: ${HOSTS_TEST_CACHE}`,
      `  cidr: ${p.cidr}`,
      `  bridge: ${p.links.bridge}`,
      `  link_prefix: ${p.links.prefix}`,
      '  osds_per_backend: 1',
      '  bluestore_file_gib: 4',
      '  filestore_journal_mib: 128',
      '  pool_pg_num: 16',
      '  pool_size: 1',
      ...(p.extra ?? []),
    ].join('\n') + '\n'
  );
}
