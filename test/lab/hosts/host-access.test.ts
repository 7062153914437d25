import { parse } from 'yaml';
import { aptCacheConfig } from '../../../src/lab/hosts/apt-cache.js';
import { etcHosts, networkdFile } from '../../../src/lab/hosts/host-files.js';
import { planHosts } from '../../../src/lab/hosts/host-plan.js';
import { aptSources, defaultRecipe, recipeHash } from '../../../src/lab/hosts/rootfs.js';
import { hostInventory, knownHosts } from '../../../src/lab/hosts/ssh-access.js';

const plan = planHosts({ cidr: '10.5.6.0/24' });
const mirrors = { debian: 'http://deb.debian.org/debian', security: 'http://deb.debian.org/debian-security' };

describe('how the container hosts are reached', () => {
  it('renders an inventory with each host at its address, grouped, and SSH checking host keys against our file', () => {
    const inv = parse(hostInventory(plan, { privateKeyFile: '/lab/ssh/id_ed25519', knownHostsFile: '/lab/ssh/known_hosts' }));
    expect(inv.all.hosts['compute-2']).toEqual({ ansible_host: '10.5.6.21', testbed_ip: '10.5.6.21' });
    expect(Object.keys(inv.all.children.controllers.hosts)).toEqual(['controller']);
    expect(Object.keys(inv.all.children.computes.hosts)).toEqual(['compute-1', 'compute-2']);
    expect(inv.all.vars).toMatchObject({ ansible_user: 'root', ansible_ssh_private_key_file: '/lab/ssh/id_ed25519' });
    expect(inv.all.vars.ansible_ssh_common_args).toContain('-o UserKnownHostsFile=/lab/ssh/known_hosts -o StrictHostKeyChecking=yes');
  });

  it('writes known_hosts lines by name and address for the hosts whose keys it made', () => {
    expect(knownHosts(plan, { controller: 'ssh-ed25519 AAAA1', 'compute-1': 'ssh-ed25519 AAAA2' })).toBe(
      'controller,10.5.6.10 ssh-ed25519 AAAA1\ncompute-1,10.5.6.20 ssh-ed25519 AAAA2\n',
    );
  });

  it('gives each host a static address and no gateway, and every lab host in /etc/hosts', () => {
    const net = networkdFile(plan.hosts[1]!, plan);
    expect(net).toContain('Name=host0');
    expect(net).toContain('Address=10.5.6.20/24');
    expect(net).not.toMatch(/Gateway|DHCP=yes/);
    expect(etcHosts(plan)).toContain('10.5.6.21 compute-2\n');
  });

  it('binds the package cache to the bridge address only, forwarding to the machine mirrors', () => {
    const files = aptCacheConfig({ dir: '/lab/cache/apt-cache', bindAddress: plan.bridgeIp, mirrors });
    expect(files['acng.conf']).toMatch(/^BindAddress: 10\.5\.6\.1$/m);
    expect(files['acng.conf']).toMatch(/^CacheDir: \/lab\/cache\/apt-cache\/cache$/m);
    expect(files['acng.conf']).toMatch(/^SocketPath: \/lab\/cache\/apt-cache\/socket$/m);
    expect(files['acng.conf']).toMatch(/^Remap-secdeb: .* ; http:\/\/deb\.debian\.org\/debian-security$/m);
    expect(files.backends_debian).toBe('http://deb.debian.org/debian/\n');
  });

  it('keys the base rootfs by its recipe: a changed package list or mirror is a new hash, order is not', () => {
    const base = defaultRecipe(mirrors);
    expect(recipeHash({ ...base, packages: [...base.packages].reverse() })).toBe(recipeHash(base));
    expect(recipeHash({ ...base, packages: [...base.packages, 'curl'] })).not.toBe(recipeHash(base));
    expect(recipeHash({ ...base, mirrors: { debian: 'http://other.example/debian' } })).not.toBe(recipeHash(base));
    expect(aptSources(base)).toContain('Suites: bookworm bookworm-updates bookworm-backports\n');
  });
});
