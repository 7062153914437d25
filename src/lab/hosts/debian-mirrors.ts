/**
 * The machine's Debian mirrors, read from its apt sources (deb822 `*.sources` or one-line
 * `sources.list`): the package cache forwards to them, and the hosts' apt sources name them. Pure
 * parsing plus one reader.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DebianMirrors {
  /** The main archive, e.g. `http://deb.debian.org/debian`. */
  readonly debian: string;
  /** The security archive, e.g. `http://deb.debian.org/debian-security` (absent: none configured). */
  readonly security?: string;
}

interface SourceEntry {
  readonly uri: string;
  readonly suites: readonly string[];
}

/** Entries of deb822 text (`Types: deb`, `URIs:`, `Suites:` stanzas). */
export function parseDeb822Sources(text: string): SourceEntry[] {
  const out: SourceEntry[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    for (const line of stanza.split('\n')) {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m && !line.startsWith('#')) fields[m[1]!.toLowerCase()] = m[2]!.trim();
    }
    if (!(fields.types ?? '').split(/\s+/).includes('deb') || fields.enabled === 'no') continue;
    for (const uri of (fields.uris ?? '').split(/\s+/).filter(Boolean)) out.push({ uri, suites: (fields.suites ?? '').split(/\s+/).filter(Boolean) });
  }
  return out;
}

/** Entries of one-line `deb [opts] URI SUITE COMPONENTS` text. */
export function parseSourcesList(text: string): SourceEntry[] {
  const out: SourceEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw
      .replace(/#.*/, '')
      .replace(/\[[^\]]*\]/, '')
      .trim();
    const m = /^deb\s+(\S+)\s+(\S+)/.exec(line);
    if (m) out.push({ uri: m[1]!, suites: [m[2]!] });
  }
  return out;
}

/** Picks the main and security archives (http only: the cache cannot forward https) for `suite`. */
export function pickDebianMirrors(entries: readonly SourceEntry[], suite: string, where = 'the apt sources'): DebianMirrors {
  const http = entries.filter((e) => e.uri.startsWith('http://'));
  const debian = http.find((e) => e.suites.includes(suite))?.uri;
  if (!debian) {
    throw new Error(
      `lab hosts: no http Debian mirror for suite "${suite}" in ${where}; got ${entries.map((e) => `${e.uri} (${e.suites.join(' ')})`).join(', ') || 'no deb entries'}; ` +
        'allowed: a "deb http://..." source for that suite (the package cache forwards to it)',
    );
  }
  const security = http.find((e) => e.suites.includes(`${suite}-security`))?.uri;
  return { debian: debian.replace(/\/+$/, ''), ...(security ? { security: security.replace(/\/+$/, '') } : {}) };
}

/** The machine's mirrors from /etc/apt/sources.list.d/*.sources and /etc/apt/sources.list. */
export function machineDebianMirrors(suite: string, etcApt = '/etc/apt'): DebianMirrors {
  const entries: SourceEntry[] = [];
  const dir = join(etcApt, 'sources.list.d');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) {
      const text = readFileSync(join(dir, f), 'utf8');
      if (f.endsWith('.sources')) entries.push(...parseDeb822Sources(text));
      else if (f.endsWith('.list')) entries.push(...parseSourcesList(text));
    }
  }
  if (existsSync(join(etcApt, 'sources.list'))) entries.push(...parseSourcesList(readFileSync(join(etcApt, 'sources.list'), 'utf8')));
  return pickDebianMirrors(entries, suite, `${etcApt}/sources.list{,.d/*}`);
}
