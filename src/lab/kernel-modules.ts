/**
 * Kernel modules for the guest's initramfs. The `dpkg -x` kernel tree has no modules.dep, so the
 * dependencies are read from each module's `.modinfo` section (`depends=a,b`) and the load order is
 * a topological sort. Pure except for `findModules`, which reads the tree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the lab guest needs: disk and network over virtio-pci, and the balloon, through which libvirt (and Nova's diagnostics) read its memory use. */
export const GUEST_MODULES = ['virtio_pci', 'virtio_blk', 'virtio_net', 'virtio_balloon'] as const;

/** `depends=` of a module file's bytes (empty when it depends on nothing). */
export function moduleDepends(ko: Uint8Array): string[] {
  const text = Buffer.from(ko).toString('latin1');
  const m = /\0depends=([^\0]*)\0/.exec(text);
  return m?.[1] ? m[1].split(',').filter(Boolean) : [];
}

/** Load order: every module after the ones it depends on. Throws naming a missing module. */
export function loadOrder(roots: readonly string[], depsOf: (name: string) => string[] | undefined): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, chain: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`kernel modules: dependency cycle ${[...chain, name].join(' -> ')}`);
    const deps = depsOf(name);
    if (!deps) throw new Error(`kernel modules: ${name} is needed by ${chain.at(-1) ?? 'the guest'} but is not in the kernel package`);
    state.set(name, 'visiting');
    for (const d of deps) visit(d, [...chain, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const r of roots) visit(r, []);
  return order;
}

/** Every `<name>.ko` under a modules tree, by name (`-` and `_` are the same to the kernel). */
export function findModules(root: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ko')) found.set(e.name.slice(0, -3).replace(/-/g, '_'), p);
    }
  };
  walk(root);
  return found;
}

/** The modules to pack, in load order, with their files. */
export function resolveGuestModules(modulesRoot: string, roots: readonly string[] = GUEST_MODULES): { name: string; file: string }[] {
  const files = findModules(modulesRoot);
  const order = loadOrder(roots, (name) => {
    const f = files.get(name);
    return f ? moduleDepends(readFileSync(f)) : undefined;
  });
  return order.map((name) => ({ name, file: files.get(name)! }));
}
