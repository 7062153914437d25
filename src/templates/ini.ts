/**
 * Operator overrides for rendered INI files (ceph.conf, nova.conf, cinder.conf): section → key → value,
 * layered last, as kolla's merge_configs and OSA's config_overrides do.
 *
 * An override replaces the key where the template set it (in the same section), or is appended
 * to that section, which is created at the end of the file when the template has none. Pure.
 */
export type IniValue = string | number | boolean;
export type IniOverrides = Readonly<Record<string, Readonly<Record<string, IniValue>>>>;

export interface OverrideOptions {
  /**
   * How keys are compared. Ceph treats spaces, dashes and underscores in option names alike.
   * @default - exact match (oslo.config)
   */
  readonly normalizeKey?: (key: string) => string;
}

export const cephKey = (key: string): string => key.trim().toLowerCase().replace(/[ _-]+/g, '_');

const SECTION = /^\s*\[([^\]]+)\]\s*$/;
const ENTRY = /^\s*([^#;=\s][^=]*?)\s*=/;

function show(value: IniValue): string {
  const text = String(value);
  if (/[\r\n]/.test(text)) throw new Error(`an INI override value cannot hold a line break: ${JSON.stringify(text)}`);
  return text;
}

export function applyIniOverrides(text: string, overrides: IniOverrides, options: OverrideOptions = {}): string {
  const norm = options.normalizeKey ?? ((k: string) => k);
  const sections = Object.keys(overrides);
  if (sections.length === 0) return text;
  const lines = text.replace(/\n$/, '').split('\n');
  const pending = new Map(sections.map((s) => [s, new Map(Object.entries(overrides[s]!).map(([k, v]) => [norm(k), { key: k, value: v }]))]));

  const out: string[] = [];
  let current: string | undefined;
  const flush = () => {
    // Keys of the section just closed that the template did not set: append them to it.
    const rest = current === undefined ? undefined : pending.get(current);
    if (!rest || rest.size === 0) return;
    let at = out.length;
    while (at > 0 && out[at - 1]!.trim() === '') at--;
    out.splice(at, 0, ...[...rest.values()].map(({ key, value }) => `${key} = ${show(value)}`));
    rest.clear();
  };
  for (const line of lines) {
    const s = SECTION.exec(line);
    if (s) {
      flush();
      current = s[1]!;
      out.push(line);
      continue;
    }
    const e = current === undefined ? null : ENTRY.exec(line);
    const hit = e ? pending.get(current!)?.get(norm(e[1]!)) : undefined;
    if (e && hit) {
      out.push(`${hit.key} = ${show(hit.value)}`);
      pending.get(current!)!.delete(norm(e[1]!));
    } else out.push(line);
  }
  flush();
  for (const [section, rest] of pending) {
    if (rest.size === 0) continue;
    out.push('', `[${section}]`, ...[...rest.values()].map(({ key, value }) => `${key} = ${show(value)}`));
  }
  return out.join('\n') + '\n';
}
