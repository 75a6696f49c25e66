/**
 * The re-plug race, counted (src/lab/README.md, "The kernel is judged only once networkd is
 * done"): the same port's NIC unplugged, plugged back as `ens42` and configured N times through
 * NetplanHost; after each configure() `ip -j addr` in the node is read 15 times in a row, and a
 * run counts as lost when any read shows the NIC without its address.
 * Usage (root): `npx tsx test/lab/measure-replug.ts [targeted|apply] [N=12]`.
 */
import { Lab, cidrsOf } from './index.js';
import { labHost, portData, type ApplyMethod } from './agent-host.js';

const method = (process.argv[2] ?? 'targeted') as ApplyMethod;
const n = Number(process.argv[3] ?? 12);
const lab = await Lab.start({ tag: 'rp' });
try {
  const node = await lab.addNode({ name: 'worker-1', primary: { address: '10.0.0.5/24' } });
  const h = await labHost(node, method);
  const mac = 'fa:16:3e:40:00:03';
  const port = () => portData(node, { portId: 'p3', mac, cidr: '10.22.0.0/24', address: '10.22.0.11' });
  await node.plug({ mac });
  await h.host.configure(port(), '/lab/replug');
  let lost = 0;
  for (let i = 0; i < n; i++) {
    await node.unplug(mac);
    await node.plug({ mac, ifname: 'ens42' });
    await h.host.configure(port(), '/lab/replug');
    const seen: string[] = [];
    for (let k = 0; k < 15; k++) {
      const l = (await node.addr()).find((x) => x.address === mac);
      seen.push(`${l?.ifname}:${l ? cidrsOf(l).join(',') || '-' : 'gone'}`);
    }
    const ok = seen.every((s) => s === 'multinic0:10.22.0.11/24');
    if (!ok) lost++;
    console.log(i, ok ? 'ok' : `LOST ${seen.join(' ')}`);
  }
  console.log(`${method}: ${lost} of ${n} runs showed the NIC without its address after configure() returned`);
} finally {
  await lab.stop();
}
