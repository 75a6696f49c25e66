import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Lab, type LabNode, cidrsOf, listNamespaces, netnsPids, removeLeftovers, CLOUD_INIT_NETPLAN, pollUntil, run } from './index.js';

const CLEANUP = fileURLToPath(new URL('../../src/lab/cleanup.ts', import.meta.url));
const LAB = fileURLToPath(new URL('../../src/lab/lab.ts', import.meta.url));

describe('network lab: a networkd node', function () {
  this.timeout(60_000);
  let lab: Lab;
  let node: LabNode;

  before(async () => {
    lab = await Lab.start({ tag: 'lb' });
    node = await lab.addNode({ name: 'worker-1', primary: { address: '10.0.0.5/24', gateway: '10.0.0.1' } });
  });
  after(async () => { await lab?.stop(); });

  it('configures the primary NIC from a foreign 50-cloud-init.yaml: address, default route, a gateway that answers', async () => {
    expect(readFileSync(`${node.netplanDir}/${CLOUD_INIT_NETPLAN}`, 'utf8')).to.include('macaddress').and.include('10.0.0.5/24');
    const ens3 = (await node.addr()).find((l) => l.ifname === 'ens3');
    expect(ens3?.address).to.equal(node.primary.mac);
    expect(cidrsOf(ens3, { family: 'inet' })).to.deep.equal(['10.0.0.5/24']);
    const defaults = (await node.routes()).filter((r) => r.dst === 'default');
    expect(defaults.map((r) => [r.gateway, r.dev])).to.deep.equal([['10.0.0.1', 'ens3']]);
    expect(await node.ping('10.0.0.1')).to.equal(true);
    expect(await node.ping('10.0.0.99', { timeoutS: 1 })).to.equal(false);
  });

  it('runs systemd-networkd inside the node, managing only the primary NIC', async () => {
    const { stdout } = await node.exec(['networkctl', '--no-legend', '--no-pager', 'list']);
    // "configuring", not "configured": the foreign file keeps accept-ra on and no router advertises.
    expect(stdout).to.match(/ens3\s+ether\s+routable\s+configuring/);
    expect(stdout).to.match(/lo\s+loopback\s+\S+\s+unmanaged/);
  });

  it('shows the node its own /sys/class/net through sysfsNetDir, and the host none of it', async () => {
    const nic = await node.plug({ mac: 'FA:16:3E:00:00:44' });
    expect(readFileSync(`${node.sysfsNetDir}/${nic.ifname}/address`, 'utf8').trim()).to.equal('fa:16:3e:00:00:44');
    expect(existsSync(`/sys/class/net/${nic.ifname}`) && readFileSync(`/sys/class/net/${nic.ifname}/address`, 'utf8').trim() === nic.mac).to.equal(false);
    expect(existsSync(`/sys/class/net/${nic.peer}`)).to.equal(false);
  });

  it('hot-plugs a secondary NIC that arrives DOWN and unconfigured, and unplugs it by MAC', async () => {
    const nic = await node.plug({ mac: 'fa:16:3e:00:00:45', ifname: 'ens9' });
    const link = (await node.addr()).find((l) => l.ifname === 'ens9');
    expect(link?.address).to.equal('fa:16:3e:00:00:45');
    expect(link?.flags).to.not.include('UP');
    expect(link?.addr_info).to.deep.equal([]);
    await node.unplug(nic.mac);
    expect(await node.linkByMac(nic.mac)).to.equal(undefined);
    const { stdout } = await run(['ip', '-n', lab.switch.netns, '-j', 'link', 'show']);
    expect((JSON.parse(stdout) as { ifname: string }[]).map((l) => l.ifname)).to.not.include(nic.peer);
  });

  it('refuses a bad MAC and a bad name with a clear error', async () => {
    let error: Error | undefined;
    try { await node.plug({ mac: 'fa:16:3e:00:00' }); } catch (err) { error = err as Error; }
    expect(error?.message).to.include("'fa:16:3e:00:00' is not a MAC address");
    error = undefined;
    try { await lab.addNode({ name: 'Bad Name' }); } catch (err) { error = err as Error; }
    expect(error?.message).to.include("node name 'Bad Name'");
  });

  it('refuses a NetworkManager command on a networkd node', () => {
    expect(() => node.nmcliCommand).to.throw(/runs systemd-networkd/);
  });
});

describe('network lab: clean-up', function () {
  this.timeout(60_000);

  it('leaves no namespace, process or folder behind after stop()', async () => {
    const lab = await Lab.start({ tag: 'lb' });
    const node = await lab.addNode({ name: 'worker-1' });
    const pids = execFileSync('ip', ['netns', 'pids', node.netns], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
    expect(pids.length).to.be.at.least(3); // holder, dbus-daemon, systemd-networkd
    await lab.stop();
    expect(listNamespaces().filter((n) => n.startsWith(lab.id))).to.deep.equal([]);
    expect(existsSync(lab.dir)).to.equal(false);
    for (const pid of pids) expect(existsSync(`/proc/${pid}/ns/net`), `pid ${pid} still alive`).to.equal(false);
  });

  it('cleans up when the process using it is killed by SIGTERM', async () => {
    const script = `import { Lab } from ${JSON.stringify(LAB)}; const lab = await Lab.start({ tag: 'lb' }); await lab.addNode({ name: 'w' }); console.log(lab.id); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const id = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => resolve(d.trim()));
      child.once('exit', (code) => reject(new Error(`lab child exited ${code}`)));
    });
    expect(listNamespaces().filter((n) => n.startsWith(id))).to.have.length(2);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).to.equal(143);
    expect(listNamespaces().filter((n) => n.startsWith(id))).to.deep.equal([]);
  });

  it('after a SIGKILL of its user, the holders kill the nodes\' daemons and cleanup.ts removes the rest', async () => {
    const tag = `lbk${randomBytes(2).toString('hex').slice(0, 3)}`;
    const script = `import { Lab } from ${JSON.stringify(LAB)}; const lab = await Lab.start({ tag: '${tag}' }); const n = await lab.addNode({ name: 'w' }); console.log(n.netns); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const netns = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => resolve(d.trim()));
      child.once('exit', (code) => reject(new Error(`lab child exited ${code}`)));
    });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    await pollUntil(`no process left in ${netns}`, () => netnsPids(netns).length === 0, { timeoutMs: 5_000 });
    expect(listNamespaces().filter((n) => n.startsWith(tag))).to.have.length(2);
    const removed = removeLeftovers(tag);
    expect(removed.namespaces.sort()).to.deep.equal([netns, `${netns.split('-')[0]}-sw`].sort());
    expect(removed.folders).to.have.length(1);
    expect(listNamespaces().filter((n) => n.startsWith(tag))).to.deep.equal([]);
  });

  it('removes leftovers by tag from the command line (for CI)', async () => {
    const tag = `lbz${randomBytes(2).toString('hex').slice(0, 3)}`;
    await run(['ip', 'netns', 'add', `${tag}-stray`]);
    const sleeper = spawn('ip', ['netns', 'exec', `${tag}-stray`, 'sleep', '600'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));
    const { stdout } = await run([process.execPath, '--import', 'tsx', CLEANUP, tag]);
    expect(stdout).to.include(`removed 1 network namespace(s): ${tag}-stray`);
    expect(listNamespaces().filter((n) => n.startsWith(tag))).to.deep.equal([]);
    await new Promise((r) => sleeper.exitCode !== null || sleeper.signalCode !== null ? r(null) : sleeper.once('exit', r));
    expect(sleeper.signalCode).to.equal('SIGKILL');
  });

  it('refuses a tag that could match other names', () => {
    expect(() => removeLeftovers('')).to.throw(/must match/);
    expect(() => removeLeftovers('l')).to.throw(/must match/);
  });

  it('fails (does not skip) without root, saying why', async () => {
    const script = `import { Lab } from ${JSON.stringify(LAB)}; try { await Lab.start({ tag: 'lb' }); } catch (err) { console.log(err.name + ': ' + err.message); }`;
    const { stdout } = await run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script],
      { env: { HOME: '/tmp' } });
    expect(stdout).to.include('LabUnavailableError: network lab: needs root (uid 0)');
  });
});
