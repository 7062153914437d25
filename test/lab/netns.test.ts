import { spawn } from 'node:child_process';
import { planLabTopology } from '../../src/config/lab-topology.js';
import { testbedSpecSchema } from '../../src/config/schema.js';
import { ipJson, listNetns, netnsExec } from '../../src/exec/iproute2.js';
import { LabHostsBusyError, LabNetwork, withPrefix } from '../../src/lab/netns.js';
import { describeWhere, missingFor } from '../support/requirements.js';

const skip = missingFor(['ip', 'tc', 'busybox']);

// Its own prefix, bridge and range, so it never touches a real lab running beside it.
const spec = testbedSpecSchema.parse({ lab: { cidr: '10.213.91.0/24' }, network: { migration_bandwidth_mbit: 500 } });
const topology = withPrefix(planLabTopology(spec), 'tbn');
const ours = (names: string[]) => names.filter((n) => n.startsWith('tbn-'));
const rootLinks = async () => (await ipJson<{ ifname: string }[]>(['link', 'show'])).map((l) => l.ifname).sort();

describeWhere(skip, 'lab hosts (network namespaces)', () => {
  const net = new LabNetwork({ topology, linkMbit: spec.network.migration_bandwidth_mbit });
  afterAll(async () => {
    await net.down().catch(() => {});
  });

  it('brings up one namespace per host, joined on one shaped L2 segment, and up twice changes nothing', async () => {
    // GIVEN the root namespace's links before
    const before = await rootLinks();
    // WHEN the hosts phase runs twice
    await net.up();
    await net.up();
    // THEN each host exists with its address, and each compute link is shaped to the spec's rate
    const status = await net.status();
    expect(status.map((s) => [s.host.netns, s.exists, s.addressUp])).toEqual([
      ['tbn-controller', true, true],
      ['tbn-compute-1', true, true],
      ['tbn-compute-2', true, true],
    ]);
    expect(status.filter((s) => s.host.role === 'compute').map((s) => s.shapedBitsPerS)).toEqual([500e6, 500e6]);
    // AND compute-1 reaches compute-2 and the controller through the bridge
    for (const target of ['10.213.91.12', '10.213.91.10']) {
      const r = await netnsExec('tbn-compute-1', 'busybox', ['ping', '-c', '1', '-W', '2', target]);
      expect(r.stdout).toMatch(/1 packets received/);
    }
    // AND the root namespace gained no link
    expect(await rootLinks()).toEqual(before);
  });

  it('fails to go down while a process lives in a namespace, and names its PID', async () => {
    // GIVEN a process started in compute-2
    const child = spawn('ip', ['netns', 'exec', 'tbn-compute-2', 'sleep', '60'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
    try {
      // WHEN the hosts phase goes down THEN it refuses and names that PID
      await expect(net.down()).rejects.toThrow(LabHostsBusyError);
      await expect(net.down()).rejects.toThrow(new RegExp(`tbn-compute-2: PIDs ${child.pid}`));
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    expect(ours(await listNetns())).toHaveLength(3);
  });

  it('goes down leaving no namespace and no link behind, twice in a row', async () => {
    // GIVEN the hosts are up
    const before = await rootLinks();
    await net.up();
    // WHEN the phase goes down twice
    await net.down();
    await net.down();
    // THEN none of its namespaces remain and the root namespace's links are unchanged
    expect(ours(await listNetns())).toEqual([]);
    expect(await rootLinks()).toEqual(before);
  });
});
