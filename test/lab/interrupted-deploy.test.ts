/**
 * Teardown after a deploy that was killed: `cdktf deploy lab` is killed (SIGKILL, its whole process
 * group, as a closed terminal or an OOM kill would) at a random moment inside several phases, then
 * `cdktf destroy lab` must succeed without a stack trace and leave nothing: no container or process,
 * no bridge or veth (with their qdiscs), mount, loop device or data. The kills land in the hosts'
 * bring-up, in Ceph's and in OpenStack's site.yml runs.
 *
 * The moments are random but reproducible: the seed is printed, and TESTBED_KILL_SEED replays it.
 * Root only; CI runs it. Its own testbed name, lab.dir, bridge and range; the base rootfs and the
 * package cache are shared with the other host tests (TESTBED_HOSTS_TEST_CACHE).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { seededRandom } from '../../src/util/seeded-random.js';
import { describeWhere, missingFor } from '../support/requirements.js';
import { smallLabSpec } from './support/lab-spec.js';
import { labLeftovers } from './support/leftovers.js';

const skip = missingFor(['systemd-nspawn', 'debootstrap', 'apt-cacher-ng', 'nsenter', 'ssh-keygen', 'ssh', 'ansible-playbook', 'ip']);

const NAME = 'tb-kill';
const LAB_DIR = '/var/tmp/tb-kill-lab';
const LINKS = { bridge: 'tbkibr0', prefix: 'tbki' } as const;
const dir = mkdtempSync(join(tmpdir(), 'tb-kill-'));
const specFile = join(dir, 'kill.yaml');
const env = { ...process.env, TESTBED_SPEC: specFile, CHECKPOINT_DISABLE: '1' };
const seed = Number(process.env.TESTBED_KILL_SEED ?? Date.now() % 1_000_000);
const random = seededRandom(seed);

/**
 * Where to kill: once the phase has started, after a random delay of up to `withinS` seconds (about
 * the phase's length here, so most kills land inside it; one that lands later kills a later phase).
 */
const KILLS = [
  { phase: 'hosts', withinS: 15 },
  { phase: 'ceph', withinS: 90 },
  { phase: 'openstack', withinS: 150 },
] as const;

function destroy() {
  const r = spawnSync('npx', ['--no-install', 'cdktf', 'destroy', 'lab', '--auto-approve'], { encoding: 'utf8', env, timeout: 600_000 });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

interface Killed {
  /** The last phase the deploy had started when it was killed. */
  readonly phase: string | undefined;
  readonly afterS: number;
  /** The deploy ended by itself before the kill. */
  readonly ended: boolean;
  readonly output: string;
}

/** Runs `cdktf deploy lab` in its own process group and kills the group `delayS` after `phase` starts. */
function deployAndKill(phase: string, delayS: number): Promise<Killed> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('npx', ['--no-install', 'cdktf', 'deploy', 'lab', '--auto-approve'], {
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let current: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    const started = Date.now();
    let killedAt: number | undefined;
    const watchdog = setTimeout(() => reject(new Error(`phase ${phase} never started within 15 min:\n${output.slice(-3000)}`)), 900_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      for (const m of d.toString().matchAll(/\[lab (\w+)[ \]]/g)) current = m[1];
      if (current === phase && !timer)
        timer = setTimeout(() => {
          killedAt = Date.now();
          process.kill(-child.pid!, 'SIGKILL');
        }, delayS * 1000);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', () => {
      clearTimeout(watchdog);
      clearTimeout(timer);
      // The group is gone with its leader killed; whatever the deploy detached (daemons) stays, as after a real kill.
      resolvePromise({ phase: current, afterS: ((killedAt ?? Date.now()) - started) / 1000, ended: killedAt === undefined, output });
    });
  });
}

describeWhere(skip, 'a lab deploy killed at a random moment, then cdktf destroy lab', () => {
  beforeAll(() => {
    writeFileSync(specFile, smallLabSpec({ name: NAME, labDir: LAB_DIR, cidr: '10.213.83.0/24', links: LINKS }));
    console.log(`interrupted-deploy: seed ${seed} (TESTBED_KILL_SEED=${seed} replays these kill moments)`);
  });

  afterAll(() => {
    // Whatever happened, leave nothing running.
    if (labLeftovers({ labDir: LAB_DIR, name: NAME, links: LINKS }).length) destroy();
  }, 600_000);

  for (const kill of KILLS) {
    it(`leaves nothing after a kill within ${kill.withinS} s of the ${kill.phase} phase`, async () => {
      const delayS = Math.round(random() * kill.withinS * 10) / 10;
      const killed = await deployAndKill(kill.phase, delayS);
      console.log(
        killed.ended
          ? `interrupted-deploy: the deploy ended by itself before the kill (${killed.afterS.toFixed(0)} s)`
          : `interrupted-deploy: killed ${delayS} s into ${kill.phase}, in phase ${killed.phase}, ${killed.afterS.toFixed(0)} s after the start`,
      );
      const d = destroy();
      expect(d.code, d.out.slice(-3000)).toBe(0);
      expect(d.out, 'a stack trace in the destroy output').not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
      expect(labLeftovers({ labDir: LAB_DIR, name: NAME, links: LINKS })).toEqual([]);
    }, 1_500_000);
  }
});
