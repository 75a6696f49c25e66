import type { InterfaceEventData } from './types.js';

/**
 * What each data field accepts, in words and with an example, for error messages that
 * tell a person what to write instead (issue 16: every problem reported with the accepted
 * form). The rules themselves are interface-event.schema.json's and network.ts's; these
 * lines describe them and must change with them.
 */
export const ACCEPTED_FORM: Readonly<Record<keyof InterfaceEventData, string>> = {
  nodeName: 'a node name of letters, digits, ".", "-" and "_", starting and ending with a letter or digit, at most 253 characters, e.g. worker-node-1',
  portId: 'an OpenStack id of letters, digits, ".", "-" and "_", at most 64 characters, e.g. 7f3e2a10-0000-4000-8000-000000000112',
  macAddress: 'six hex octets as fa:16:3e:10:01:12, FA-16-3E-10-01-12, fa16.3e10.0112 or fa163e100112, not multicast or all zeros',
  subnetId: 'an OpenStack id of letters, digits, ".", "-" and "_", at most 64 characters',
  subnetName: 'text without control characters, at most 255 characters',
  networkId: 'an OpenStack id of letters, digits, ".", "-" and "_", at most 64 characters',
  cidr: 'network/prefix with no host bits set, e.g. 192.168.100.0/24 or fd00:100::/64',
  address: 'a bare IP inside the cidr, not its network or broadcast address, e.g. 192.168.100.7 (omit for DHCP)',
  mtu: 'an integer from 576 to 9216, at least 1280 on an IPv6 subnet (omit to leave the MTU alone)',
  crNamespace: 'a Kubernetes name of lower-case letters, digits, "." and "-", at most 253 characters',
  crName: 'a Kubernetes name of lower-case letters, digits, "." and "-", at most 253 characters',
  generation: 'integer milliseconds since the epoch, e.g. 1700000000000',
};
