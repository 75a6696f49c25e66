/**
 * The lab's "switch": one network namespace holding two Linux bridges. Every node's primary
 * NIC is cabled to `br-primary` (where the nodes' gateways answer) and every secondary NIC to
 * `br-data` (silent unless a test gives the switch an address there, e.g. for probes).
 */
import { run } from './run.js';
import { addrs, cidrsOf } from './ip.js';

/** The two segments of the switch. */
export const Segment = { primary: 'br-primary', data: 'br-data' } as const;
export type Segment = keyof typeof Segment;

export class LabSwitch {
  constructor(readonly netns: string) {}

  /** Creates the bridges (up, no addresses) in the already created namespace. */
  async build(): Promise<void> {
    await run(['ip', '-n', this.netns, 'link', 'set', 'lo', 'up']);
    for (const bridge of Object.values(Segment)) {
      await run(['ip', '-n', this.netns, 'link', 'add', bridge, 'type', 'bridge']);
      await run(['ip', '-n', this.netns, 'link', 'set', bridge, 'up']);
    }
  }

  /**
   * Gives the switch `cidr` (e.g. `10.20.0.1/24` or `fd00:20::1/64`) on a segment (default
   * `data`), so nodes can reach it there; adding an address it already has does nothing.
   */
  async addAddress(cidr: string, segment: Segment = 'data'): Promise<void> {
    if (await this.hasAddress(cidr, segment)) return;
    // nodad: an IPv6 address must answer at once, not after ~1.5 s of duplicate detection.
    const nodad = cidr.includes(':') ? ['nodad'] : [];
    await run(['ip', '-n', this.netns, 'addr', 'add', cidr, 'dev', Segment[segment], ...nodad]);
  }

  /** Sets a sysctl in the switch's namespace only, e.g. `net.ipv4.conf.all.arp_ignore` `1` (per-netns keys only). */
  async sysctl(key: string, value: string): Promise<void> {
    await run(['ip', 'netns', 'exec', this.netns, 'sysctl', '-q', '-w', `${key}=${value}`]);
  }

  /** Removes an address {@link addAddress} gave. */
  async removeAddress(cidr: string, segment: Segment = 'data'): Promise<void> {
    await run(['ip', '-n', this.netns, 'addr', 'del', cidr, 'dev', Segment[segment]]);
  }

  /** Cables a veth end that is already in the switch's namespace to a segment and brings it up. */
  async attach(peer: string, segment: Segment): Promise<void> {
    await run(['ip', '-n', this.netns, 'link', 'set', peer, 'master', Segment[segment], 'up']);
  }

  private async hasAddress(cidr: string, segment: Segment): Promise<boolean> {
    const [bridge] = await addrs(this.netns).then((all) => all.filter((l) => l.ifname === Segment[segment]));
    return [...cidrsOf(bridge, { scope: 'global' })].includes(cidr);
  }
}
