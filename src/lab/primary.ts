/**
 * The foreign configuration of a lab node's primary NIC: what cloud-init would have written,
 * never MultiNIC's. A networkd node gets `/etc/netplan/50-cloud-init.yaml` (as cloud-init's
 * netplan renderer writes it: match by MAC, set-name, static address, default route); a
 * NetworkManager node gets a `cloud-init <ifname>` keyfile (as cloud-init's NetworkManager
 * renderer on RHEL-family images) plus the node-only NetworkManager.conf of
 * NETWORKMANAGER.md §1.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** The primary NIC of a node, resolved (every field set). */
export interface PrimaryNic {
  /** Kernel name in the node, default `ens3`. */
  ifname: string;
  /** MAC, lower case with colons. */
  mac: string;
  /** `address/prefix`, e.g. `10.0.0.5/24`. */
  address: string;
  /** Default gateway, answering from the switch (e.g. `10.0.0.1`). */
  gateway: string;
}

/** Name of the foreign netplan file (cloud-init's). */
export const CLOUD_INIT_NETPLAN = '50-cloud-init.yaml';
/** Name of the foreign NetworkManager keyfile for `ifname`. */
export const cloudInitKeyfile = (ifname: string) => `cloud-init-${ifname}.nmconnection`;

/** Writes `50-cloud-init.yaml` (0600, as netplan wants) into a node's netplan folder. */
export async function writeCloudInitNetplan(netplanDir: string, nic: PrimaryNic): Promise<void> {
  const doc = {
    network: {
      version: 2,
      ethernets: {
        [nic.ifname]: {
          match: { macaddress: nic.mac },
          'set-name': nic.ifname,
          addresses: [nic.address],
          routes: [{ to: 'default', via: nic.gateway }],
        },
      },
    },
  };
  await writeFile(join(netplanDir, CLOUD_INIT_NETPLAN), stringify(doc), { mode: 0o600 });
}

/** NetworkManager.conf of a lab node (NETWORKMANAGER.md §1: why each line). */
export const NODE_NM_CONF = `[main]
plugins=keyfile
no-auto-default=*
dns=none
rc-manager=unmanaged
hostname-mode=none
auth-polkit=false
[connectivity]
enabled=false
`;

/**
 * Writes the node's NetworkManager.conf and the primary's keyfile (0600 root: NetworkManager
 * refuses other modes, NETWORKMANAGER.md §2). `route-metric=100` is pinned because NM's
 * metrics otherwise change on each activation (§2).
 */
export async function writeCloudInitKeyfile(nmDir: string, nic: PrimaryNic): Promise<void> {
  await writeFile(join(nmDir, 'NetworkManager.conf'), NODE_NM_CONF, { mode: 0o644 });
  const keyfile = `[connection]
id=cloud-init ${nic.ifname}
uuid=${crypto.randomUUID()}
type=ethernet
autoconnect=true

[ethernet]
mac-address=${nic.mac.toUpperCase()}

[ipv4]
method=manual
address1=${nic.address},${nic.gateway}
route-metric=100

[ipv6]
method=ignore
`;
  await writeFile(join(nmDir, 'system-connections', cloudInitKeyfile(nic.ifname)), keyfile, { mode: 0o600 });
}
