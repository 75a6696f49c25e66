/**
 * What the safety checks of issue 11 cost per attach, in a lab node with the real netplan apply:
 * the same N attaches with no checks, with the overlap refusal only, and with the overlap
 * refusal plus the probe gate (gateway ping, routes, and the API-server TCP probe through the
 * nsenter prefix, against a listener on the switch). Prints one line per mode: p50 and max of
 * configure() in ms, and per probe kind the p50 of one attempt.
 *
 *     npx tsx test/lab/safety/measure.ts 5      (root; about a minute)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Lab } from '../index.js';
import { labHost, port } from './host.js';

const n = Number(process.argv[2] ?? 5);
const modes = [
  { name: 'no safety checks', safety: false, probes: [] },
  { name: 'overlap refusal only', safety: true, probes: [] },
  { name: 'overlap + probes (gateway, routes, api-server)', safety: true, probes: ['gateway', 'routes', 'api-server'] },
] as const;

const API = { host: '10.40.0.5', port: 6443 };
const lab = await Lab.start({ tag: 'sf' });
let listener: ChildProcess | undefined;
try {
  await lab.switch.addAddress('10.20.0.1/16');
  await lab.switch.addAddress(`${API.host}/32`, 'primary');
  listener = spawn('ip', ['netns', 'exec', lab.switch.netns, process.execPath, '-e', `require('net').createServer((s) => s.end()).listen(${API.port}, '${API.host}')`], { stdio: 'ignore' });
  console.log(`load average before: ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const [k, mode] of modes.entries()) {
    const node = await lab.addNode({ name: `m${k}` });
    const attempts = new Map<string, number[]>();
    const onProbe = (e: { kind: string; seconds: number }) => attempts.set(e.kind, [...(attempts.get(e.kind) ?? []), e.seconds * 1000]);
    const h = await labHost(node, { probes: [...mode.probes], apiServer: API, withoutSafety: !mode.safety, onProbe });
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const mac = `fa:16:3e:77:${k.toString(16).padStart(2, '0')}:${(i + 1).toString(16).padStart(2, '0')}`;
      await node.plug({ mac });
      const started = performance.now();
      await h.host.configure(port(mac, `10.20.${k * 16 + i}.0/24`, `10.20.${k * 16 + i}.11`), '/multinic/publisher');
      ms.push(performance.now() - started);
    }
    await h.close();
    const sorted = [...ms].sort((a, b) => a - b);
    const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(0);
    const perKind = [...attempts].map(([kind, xs]) => `${kind} ${p50(xs)} ms (${xs.length} attempts)`).join(', ');
    console.log(`${mode.name.padEnd(48)} n=${n}  configure ms p50 ${p50(ms)}  max ${sorted.at(-1)!.toFixed(0)}${perKind ? `  | one probe attempt p50: ${perKind}` : ''}`);
  }
} finally {
  listener?.kill('SIGKILL');
  await lab.stop();
}
