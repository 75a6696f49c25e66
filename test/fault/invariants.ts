import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { ownedPairs, type FleetNode } from './fleet.js';

/**
 * Watches the naming invariant over time, on the host (the netplan files' meta) and on
 * the Node (the annotation): per node, a MAC must keep one name and a name must stay with
 * one MAC for the whole run (the suite never detaches, so no name is ever legitimately
 * freed). Samples every `intervalMs` until stopped; `violations` lists what it saw.
 */
export class NamingWatch {
  readonly violations: string[] = [];
  samples = 0;
  private readonly macToName = new Map<string, string>();
  private readonly nameToMac = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly nodes: FleetNode[],
    private readonly kube: FakeKubeApi,
  ) {}

  private see(node: string, name: string, mac: string, where: string): void {
    const byMac = this.macToName.get(`${node}/${mac}`);
    const byName = this.nameToMac.get(`${node}/${name}`);
    if (byMac !== undefined && byMac !== name) this.violations.push(`${node}: MAC ${mac} was ${byMac}, now ${name} (${where})`);
    if (byName !== undefined && byName !== mac) this.violations.push(`${node}: ${name} was MAC ${byName}, now ${mac} (${where})`);
    this.macToName.set(`${node}/${mac}`, name);
    this.nameToMac.set(`${node}/${name}`, mac);
  }

  async sampleOnce(): Promise<void> {
    this.samples++;
    for (const node of this.nodes) {
      const files = await ownedPairs(node);
      const names = new Set<string>();
      for (const f of files) {
        if (names.has(f.name)) this.violations.push(`${node.name}: two files name ${f.name}`);
        names.add(f.name);
        this.see(node.name, f.name, f.mac, 'netplan file');
      }
      const annotation = this.kube.node(node.name)?.metadata.annotations['multinic.io/interfaces'];
      for (const i of annotation ? (JSON.parse(annotation) as Array<{ name: string; macAddress: string }>) : []) this.see(node.name, i.name, i.macAddress, 'annotation');
    }
  }

  start(intervalMs = 500): void {
    const tick = () => {
      this.running = this.sampleOnce().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, intervalMs);
      });
    };
    this.timer = setTimeout(tick, intervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await this.sampleOnce();
  }
}
