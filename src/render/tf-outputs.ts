/**
 * The Terraform outputs `testbed render --tf-outputs FILE` reads: the `testbed_inventory` output of
 * the TestbedStack (stacks/testbed-stack.ts), either inside `terraform output -json` (`{testbed_inventory:
 * {value: ...}}`) or bare (what the post-deploy phases pass in TESTBED_TF_OUTPUTS). Checked at the boundary.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const osdOutput = z.object({
  id: z.number().int().min(0),
  backend: z.enum(['filestore', 'bluestore']),
  volume_id: z.string().min(1),
  aux_kind: z.enum(['journal', 'db']),
  aux_volume_id: z.string().min(1),
});

const inventoryOutput = z.object({
  bastion: z.object({ host: z.string(), floating_ip: z.string().ip({ version: 'v4' }), ssh_user: z.string().min(1) }),
  hosts: z.array(
    z.object({
      name: z.string().min(1),
      roles: z.array(z.string()),
      ip: z.string().ip({ version: 'v4' }),
      cluster_ip: z.union([z.literal(''), z.string().ip({ version: 'v4' })]),
      osds: z.array(osdOutput).default([]),
    }),
  ),
});

export type TfInventory = z.output<typeof inventoryOutput>;

/** Bad Terraform outputs: names the source, the key path, the value received and what is allowed. */
export class TfOutputsError extends Error {
  readonly exitCode = 2;
  constructor(source: string, problems: readonly string[]) {
    super(
      `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the Terraform outputs\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'TfOutputsError';
  }
}

function valueAt(root: unknown, path: ReadonlyArray<string | number>): unknown {
  return path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined), root);
}

export function parseTfOutputs(text: string, source: string): TfInventory {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TfOutputsError(source, [
      `not JSON (${(err as Error).message}); allowed: \`terraform output -json\` or the testbed_inventory output's value`,
    ]);
  }
  let prefix: (string | number)[] = [];
  if (raw && typeof raw === 'object' && 'testbed_inventory' in raw) {
    const out = (raw as Record<string, unknown>).testbed_inventory;
    prefix = out && typeof out === 'object' && 'value' in out ? ['testbed_inventory', 'value'] : ['testbed_inventory'];
  }
  const body = valueAt(raw, prefix);
  const parsed = inventoryOutput.safeParse(body);
  if (!parsed.success) {
    throw new TfOutputsError(
      source,
      parsed.error.issues.map((i) => {
        const path =
          [...prefix, ...i.path]
            .map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`))
            .join('')
            .replace(/^\./, '') || '(top level)';
        return `${path}: ${i.message}; got ${JSON.stringify(valueAt(body, i.path)) ?? 'nothing'}`;
      }),
    );
  }
  return parsed.data;
}

export function readTfOutputs(file: string): TfInventory {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TfOutputsError(file, [
      `cannot read the file (${(err as NodeJS.ErrnoException).code}); allowed: a file written by \`terraform output -json\``,
    ]);
  }
  return parseTfOutputs(text, file);
}

/** The stable device path of a Cinder volume inside a KVM guest: virtio serial = first 20 chars of the id. */
export function virtioDiskPath(volumeId: string): string {
  return `/dev/disk/by-id/virtio-${volumeId.slice(0, 20)}`;
}
