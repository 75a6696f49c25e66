/**
 * Measures, in the lab, what each apply path costs and what it disturbs; prints Markdown
 * (the tables in test/lab/README.md come from it):
 *
 *     npx tsx test/lab/measure.ts [RUNS]        # root; RUNS attaches then RUNS detaches per path, default 10
 *
 * Each path gets a fresh node and configures RUNS NICs one after another, as a node receiving
 * ports one by one (so later applies have more networkd links to disturb), then removes them:
 * - `netplan apply`: the real one, inside the node (node.applyCommand);
 * - `targeted`: test/lab/targeted-apply.sh (generate to a staging root, copy changed files,
 *   rename, `networkctl reload`); `targeted+reconfigure` adds `networkctl reconfigure <NIC>`;
 * - `nmcli`: a NetworkManager node, keyfile + `nmcli connection load` (detach: remove + reload).
 * Per change: the command's wall time; the time until the kernel shows the result (address and
 * MTU 9000 up / address gone); the `ip monitor` events on the primary NIC and on every link
 * other than the one changed, counted from the command's start until the node has settled.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { Lab } from './lab.js';
import { percentile } from './percentile.js';
import type { LabNode } from './node.js';
import { cidrsOf } from './ip.js';
import { pollUntil, run } from './run.js';
import { removeMultinicFile, writeMultinicFile, writeMultinicKeyfile, multinicKeyfileName } from './multinic-file.js';

const TARGETED = fileURLToPath(new URL('./targeted-apply.sh', import.meta.url));
type Path = 'netplan apply' | 'targeted' | 'targeted+reconfigure' | 'nmcli';

interface Sample { commandMs: number; kernelMs: number; primaryEvents: number; primaryBlinkMs: number; otherEvents: number; leftAddress: boolean }


async function applyOnce(node: LabNode, path: Path, nic: { from?: string; name: string }): Promise<void> {
  if (path === 'netplan apply') await run(node.applyCommand);
  else if (path === 'nmcli') {
    const file = `/etc/NetworkManager/system-connections/${multinicKeyfileName(nic.name)}`;
    const exists = await node.exec(['test', '-e', file], { check: false });
    // `load` of a removed file drops its profile; it exits 0 even on a rejected file (NETWORKMANAGER.md §5).
    const r = await run([...node.nmcliCommand, 'connection', exists.code === 0 ? 'load' : 'reload', ...(exists.code === 0 ? [file] : [])]);
    if (r.stderr.includes('Could not load')) throw new Error(r.stderr);
  } else {
    const rename = nic.from ? ['--rename', nic.from, nic.name] : [];
    await node.exec(['bash', TARGETED, ...rename, ...(path === 'targeted+reconfigure' ? [nic.name] : [])]);
  }
}

async function measure(node: LabNode, path: Path, runs: number, macByte: number): Promise<{ attach: Sample[]; detach: Sample[] }> {
  const attach: Sample[] = [];
  const detach: Sample[] = [];
  const primary = node.primary.ifname;
  const nics: { name: string; from: string; mac: string; address: string }[] = [];
  for (let i = 0; i < runs; i += 1) {
    const mac = `fa:16:3e:${macByte.toString(16).padStart(2, '0')}:00:${i.toString(16).padStart(2, '0')}`;
    const plugged = await node.plug({ mac });
    const nic = { name: `multinic${i}`, from: plugged.ifname, mac, address: `10.20.${i}.11/24` };
    nics.push(nic);
    const spec = { name: nic.name, mac, addresses: [nic.address], mtu: 9000 };
    attach.push(await sample(node, path, nic, async () => {
      if (path === 'nmcli') await writeMultinicKeyfile(node.nmConnectionsDir, spec);
      else await writeMultinicFile(node.netplanDir, spec);
    }, async () => {
      // NetworkManager never renames (NETWORKMANAGER.md §4): on that node the NIC keeps its name.
      const want = path === 'nmcli' ? nic.from : nic.name;
      const link = (await node.addr()).find((l) => l.ifname === want);
      return Boolean(link && link.mtu === 9000 && link.operstate === 'UP' && cidrsOf(link).includes(nic.address));
    }, [nic.name, nic.from], primary));
  }
  for (const nic of nics) {
    const name = path === 'nmcli' ? nic.from : nic.name;
    detach.push(await sample(node, path, { name: nic.name }, async () => {
      if (path === 'nmcli') await rm(join(node.nmConnectionsDir, multinicKeyfileName(nic.name)));
      else await removeMultinicFile(node.netplanDir, nic.name);
    }, async () => !cidrsOf((await node.addr()).find((l) => l.ifname === name)).includes(nic.address), [nic.name, nic.from], primary));
  }
  return { attach, detach };
}

async function sample(node: LabNode, path: Path, nic: { from?: string; name: string }, change: () => Promise<void>,
  done: () => Promise<boolean>, own: string[], primary: string): Promise<Sample> {
  await node.settled();
  const mon = await node.monitor();
  await change();
  const t0 = performance.now();
  await applyOnce(node, path, nic);
  const commandMs = performance.now() - t0;
  let leftAddress = false;
  try {
    await pollUntil('the kernel to show the change', done, { timeoutMs: 3_000, intervalMs: 5 });
  } catch {
    leftAddress = true;
  }
  const kernelMs = performance.now() - t0;
  await node.settled();
  await new Promise((r) => setTimeout(r, 200));
  await mon.stop();
  const onPrimary = mon.events({ only: [primary] });
  // From the primary's first event to its last: how long its address/routes were in flux.
  const primaryBlinkMs = onPrimary.length ? onPrimary[onPrimary.length - 1]!.atMs - onPrimary[0]!.atMs : 0;
  return { commandMs, kernelMs, leftAddress, primaryEvents: onPrimary.length, primaryBlinkMs, otherEvents: mon.events({ excluding: own }).length };
}

function row(path: string, what: string, s: Sample[]): string {
  const f = (v: number) => v.toFixed(0);
  const cmd = s.map((x) => x.commandMs);
  const k = s.map((x) => x.kernelMs);
  const left = s.filter((x) => x.leftAddress).length;
  return `| ${path} | ${what} | ${s.length} | ${f(percentile(cmd, 50))} / ${f(percentile(cmd, 99))} | ${f(percentile(k, 50))} / ${f(percentile(k, 99))} | ${s.reduce((a, x) => a + x.primaryEvents, 0)} (${s.filter((x) => x.primaryEvents > 0).length} of ${s.length}) | ${f(percentile(s.map((x) => x.primaryBlinkMs), 50))} / ${f(Math.max(...s.map((x) => x.primaryBlinkMs)))} | ${s.reduce((a, x) => a + x.otherEvents, 0)} | ${what === 'detach' ? `${left} of ${s.length}` : '-'} |`;
}

const version = async (argv: string[]) => (await run(argv, { check: false })).stdout.split('\n')[0]!.trim();
const runs = Number(process.argv[2] ?? 10);
const lab = await Lab.start({ tag: 'lb' });
try {
  console.log(`netplan.io ${await version(['dpkg-query', '-W', '-f', '${Version}', 'netplan.io'])}, ${await version(['networkctl', '--version'])}, ` +
    `NetworkManager ${await version(['NetworkManager', '--version'])}, ${await version(['ip', '-V'])}, kernel ${await version(['uname', '-r'])}; ${runs} runs per path\n`);
  console.log(`load average before: ${(await version(['cat', '/proc/loadavg']))} (${(await version(['nproc']))} CPUs)\n`);
  console.log('| path | change | n | command ms p50 / p99 | until kernel shows it, ms p50 / p99 | primary-NIC events (changes with any) | primary first→last event ms p50 / max | events on other links | address left after detach |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  const paths: Path[] = ['netplan apply', 'targeted', 'targeted+reconfigure', 'nmcli'];
  for (const [i, path] of paths.entries()) {
    const node = await lab.addNode({ name: `m${i}`, backend: path === 'nmcli' ? 'networkmanager' : 'networkd' });
    const { attach, detach } = await measure(node, path, runs, 0xa0 + i);
    console.log(row(path, 'attach', attach));
    console.log(row(path, 'detach', detach));
  }
} finally {
  await lab.stop();
}
