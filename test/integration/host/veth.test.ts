import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const PROBE = join(import.meta.dirname, 'fixtures', 'veth-probe.ts');

/**
 * Against a real kernel: one end of a veth pair, with a known MAC and an address, in a
 * network namespace of its own. The probe runs inside the namespace, where /sys/class/net
 * is that namespace's, so the lookup sees a real sysfs and `ip` reads real addresses.
 */
describe('host lookup on a real veth in a network namespace', function () {
  this.timeout(20_000);
  const suffix = randomBytes(3).toString('hex');
  const ns = `multinic-t-${suffix}`;
  const outer = `mna${suffix}`;
  const inner = `mnb${suffix}`;
  const mac = '02:4d:4e:00:00:2a';
  let dir: string;

  before(async () => {
    try {
      ip('netns', 'add', ns);
    } catch (err) {
      throw new Error(`network namespaces are not available here (ip netns add failed: ${(err as Error).message})`);
    }
    ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner);
    ip('link', 'set', inner, 'address', mac);
    ip('link', 'set', inner, 'netns', ns);
    ip('-n', ns, 'link', 'set', inner, 'up');
    ip('link', 'set', outer, 'up');
    ip('-n', ns, 'addr', 'add', '192.0.2.5/24', 'dev', inner);
    dir = await mkdtemp(join(tmpdir(), 'multinic-veth-'));
    await mkdir(join(dir, 'netplan'));
  });

  after(async () => {
    // Deleting the namespace destroys the veth end inside it, and with it the pair.
    try {
      ip('netns', 'del', ns);
    } catch {
      /* never created */
    }
    try {
      ip('link', 'del', outer);
    } catch {
      /* already gone with the namespace */
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds the NIC by MAC (any case), reads state and addresses, and the guard refuses it', async () => {
    const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', PROBE, mac.toUpperCase(), join(dir, 'netplan')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result.name).to.equal(inner);
    expect(result.other).to.equal(null);
    expect(result.operstate).to.equal('up');
    expect(result.addresses).to.deep.equal(['192.0.2.5/24']);
    expect(result.configure.error).to.match(/^HostError: refusing to take over mnb/);
    expect(await readdir(join(dir, 'netplan'))).to.deep.equal([]);
  });
});
