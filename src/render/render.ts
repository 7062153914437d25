/**
 * `testbed render` without the CLI: secrets (created once), context, files, write. The only I/O is
 * the secrets file and the output tree.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { specHash, type TestbedSpec } from '../config/index.js';
import { loadOrCreateSecrets, secretsPath } from '../secrets/index.js';
import { renderContext, type LabHostsRender, type RenderTarget } from './render-context.js';
import { renderFiles } from './render-files.js';
import type { TfInventory } from './tf-outputs.js';
import { manifestOf, writeTree, type WriteResult } from './write-tree.js';

export interface RenderOptions {
  readonly spec: TestbedSpec;
  /** @default 'cloud' */
  readonly target?: RenderTarget;
  /** @default - `.testbed/<spec.name>/<target>` under `root` */
  readonly outDir?: string;
  /** @default - the lab controller's address */
  readonly monHost?: string;
  /** Lab only: Ceph for the lab's container hosts. @default - the namespace lab */
  readonly labHosts?: LabHostsRender;
  /** @default - planned addresses only */
  readonly tfOutputs?: TfInventory;
  /** Whether this machine has /dev/kvm (lab virt_type when lab.accel is auto). @default - probed */
  readonly hostHasKvm?: boolean;
  /** Folder that holds `.testbed/`. @default process.cwd() */
  readonly root?: string;
}

export interface RenderResult extends WriteResult {
  readonly outDir: string;
  readonly secretsFile: string;
  /** True when the secrets file was created (or completed) by this render. */
  readonly secretsWritten: boolean;
}

export function defaultOutDir(spec: TestbedSpec, target: RenderTarget, root = process.cwd()): string {
  return resolve(root, '.testbed', spec.name, target);
}

export function renderTestbed(options: RenderOptions): RenderResult {
  const root = options.root ?? process.cwd();
  const target = options.target ?? 'cloud';
  const outDir = resolve(root, options.outDir ?? defaultOutDir(options.spec, target, root));
  const secretsFile = resolve(secretsPath(options.spec.name, root));
  const { secrets, written } = loadOrCreateSecrets(secretsFile);
  const ctx = renderContext({
    spec: options.spec,
    target,
    secrets,
    outDir,
    secretsFile,
    monHost: options.monHost,
    labHosts: options.labHosts,
    tfOutputs: options.tfOutputs,
    hostHasKvm: options.hostHasKvm ?? existsSync('/dev/kvm'),
  });
  const files = renderFiles(ctx);
  const result = writeTree(outDir, files, manifestOf(files, specHash(options.spec), target));
  return { ...result, outDir, secretsFile, secretsWritten: written };
}
