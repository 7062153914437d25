import { parseArgs } from 'node:util';
import { GapProbe, parseProbeUrl } from '../../experiments/index.js';
import { UsageError, type Command } from '../command.js';

/**
 * The client-side probe as a process, so the lab can run it inside a network namespace
 * (`ip netns exec <controller> node bin/testbed.mjs experiment probe ...`): it probes until
 * SIGTERM/SIGINT (or --duration-ms) and prints one JSON object, url → result, on stdout.
 */
export const experimentProbeCommand: Command = {
  name: ['experiment', 'probe'],
  summary: 'probe URLs every ≤ 10 ms until stopped and print the longest gap between successful probes (JSON)',
  usage: 'testbed experiment probe --url http://HOST[:PORT]/ [--url tcp://HOST:PORT ...] [--interval-ms 10] [--duration-ms N]',
  async run({ argv, out, err }) {
    const { values } = parseArgs({
      args: [...argv],
      options: { url: { type: 'string', multiple: true }, 'interval-ms': { type: 'string', default: '10' }, 'duration-ms': { type: 'string' } },
    });
    const urls = values.url ?? [];
    if (urls.length === 0) throw new UsageError('--url: none given; allowed: one or more http://HOST[:PORT]/PATH or tcp://HOST:PORT');
    const interval = Number(values['interval-ms']);
    if (!(Number.isInteger(interval) && interval >= 1 && interval <= 10))
      throw new UsageError(`--interval-ms: "${values['interval-ms']}" is not allowed; allowed: 1..10`);
    let probes: GapProbe[];
    try {
      probes = urls.map((u) => new GapProbe(parseProbeUrl(u), { intervalMs: interval }));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    await new Promise<void>((resolveStop) => {
      const stop = () => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        resolveStop();
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      if (values['duration-ms']) setTimeout(stop, Number(values['duration-ms']));
      for (const p of probes) p.start();
      err(`probing ${urls.join(', ')} every ${interval} ms; SIGTERM to stop`);
    });
    const results = await Promise.all(probes.map((p) => p.stop()));
    out(
      JSON.stringify(Object.fromEntries(urls.map((u, i) => [u, results[i]])), (_k, v: unknown) =>
        typeof v === 'number' && !Number.isFinite(v) ? null : v,
      ),
    );
  },
};
