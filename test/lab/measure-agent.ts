/**
 * Measures MultiNIC's own apply paths on a lab node (issue 10 point 6's closing figures); prints
 * Markdown (the table in test/lab/README.md, "Measured: MultiNIC's apply"):
 *
 *     npx tsx test/lab/measure-agent.ts [RUNS]     # root; RUNS attaches then RUNS detaches per path, default 10
 *
 * Per path (NETPLAN_APPLY_METHOD `targeted`, then `apply`) a fresh networkd node receives RUNS
 * ports one after another through NetplanHost (as the agent's root builds it), then loses them.
 * Per change: the backend's apply alone (`netplan applied` durationMs: generate + copy + rename +
 * `networkctl reload`, or `netplan apply`), the whole host operation (validate, back up, write,
 * apply, verify by the kernel), `ip monitor` events on the primary NIC and on links other than
 * the one changed (from the operation's start until the node settled), and, after each
 * detach, whether any address MultiNIC had set is left on the NIC.
 */
import { Lab } from './index.js';
import { cidrsOf } from './index.js';
import { run } from './index.js';
import { percentile } from './stats.js';
import { labHost, portData, type ApplyMethod, type LabHost } from './agent-host.js';
import type { LabNode } from './index.js';

interface Sample { applyMs: number; hostMs: number; primaryEvents: number; otherEvents: number; left: boolean }

async function sample(node: LabNode, h: LabHost, own: string[], op: () => Promise<unknown>, left: () => Promise<boolean>): Promise<Sample> {
  await node.settled();
  const mon = await node.monitor();
  const seen = h.ring.records().length;
  const t0 = performance.now();
  await op();
  const hostMs = performance.now() - t0;
  const applied = h.ring.records().slice(seen).filter((r) => r.msg === 'netplan applied');
  await node.settled();
  await new Promise((r) => setTimeout(r, 200));
  await mon.stop();
  return {
    applyMs: applied.reduce((a, r) => a + Number(r.durationMs), 0), hostMs,
    primaryEvents: mon.events({ only: [node.primary.ifname] }).length,
    otherEvents: mon.events({ excluding: own }).length,
    left: await left(),
  };
}

function row(method: string, what: string, s: Sample[]): string {
  const pp = (v: number[]) => `${percentile(v, 50).toFixed(0)} / ${percentile(v, 99).toFixed(0)}`;
  const sum = (f: (x: Sample) => number) => s.reduce((a, x) => a + f(x), 0);
  return `| ${method} | ${what} | ${s.length} | ${pp(s.map((x) => x.applyMs))} | ${pp(s.map((x) => x.hostMs))} | ${sum((x) => x.primaryEvents)} (${s.filter((x) => x.primaryEvents > 0).length} of ${s.length}) | ${sum((x) => x.otherEvents)} | ${what === 'detach' ? `${s.filter((x) => x.left).length} of ${s.length}` : '-'} |`;
}

const runs = Number(process.argv[2] ?? 10);
const text = async (argv: string[]) => (await run(argv, { check: false })).stdout.split('\n')[0]!.trim();
const lab = await Lab.start({ tag: 'kn' });
try {
  console.log(`netplan.io ${await text(['dpkg-query', '-W', '-f', '${Version}', 'netplan.io'])}, ${await text(['networkctl', '--version'])}, kernel ${await text(['uname', '-r'])}; ${runs} runs per path`);
  console.log(`load average before: ${await text(['cat', '/proc/loadavg'])} (${await text(['nproc'])} CPUs)\n`);
  console.log('| NETPLAN_APPLY_METHOD | change | n | backend apply ms p50 / p99 | whole host operation ms p50 / p99 | primary-NIC events (changes with any) | events on other links | MultiNIC address left after detach |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [i, method] of (['targeted', 'apply'] as ApplyMethod[]).entries()) {
    const node = await lab.addNode({ name: `m${i}` });
    const h = await labHost(node, method);
    const attach: Sample[] = [];
    const detach: Sample[] = [];
    const ports: Array<{ id: string; mac: string; from: string; name: string; address: string }> = [];
    for (let k = 0; k < runs; k++) {
      const mac = `fa:16:3e:${(0xb0 + i).toString(16)}:00:${k.toString(16).padStart(2, '0')}`;
      const { ifname } = await node.plug({ mac });
      const port = { id: `m-${k}`, mac, from: ifname, name: `multinic${k}`, address: `10.50.${k}.11` };
      ports.push(port);
      attach.push(await sample(node, h, [port.from, port.name], () => h.host.configure(portData(node, { portId: port.id, mac, cidr: `10.50.${k}.0/24`, address: port.address, mtu: 9000 }), '/lab/measure'), async () => false));
    }
    for (const p of ports) {
      detach.push(await sample(node, h, [p.from, p.name], () => h.host.remove(p.id), async () => cidrsOf((await node.addr()).find((l) => l.address === p.mac)).includes(`${p.address}/24`)));
    }
    console.log(row(method, 'attach', attach));
    console.log(row(method, 'detach', detach));
  }
} finally {
  await lab.stop();
}
