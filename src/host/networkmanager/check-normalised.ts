import { HostError } from '../../errors/errors.js';
import type { ConfiguredInterface } from '../../model/ports.js';
import { renderValues } from '../render-values.js';
import { keyfileValue, parseKeyfile } from './keyfile.js';
import { ROUTE_METRIC, profileId, profileUuid } from './render.js';

/**
 * Checks NetworkManager's own reading of a keyfile of ours (the output of
 * `nmcli --offline connection modify < file`, which prints the profile as NM normalised it)
 * against what MultiNIC meant. NM reads keyfiles leniently: an invalid MAC, MTU or
 * never-default value is dropped without a word and the profile still loads
 * (NETWORKMANAGER.md §5) — a profile without its MAC would match every ethernet NIC. So
 * every value that matters is compared here; a default NM drops on normalising
 * (`autoconnect=true`) is accepted missing. Throws HostError naming the first mismatch.
 */
export function checkNormalised(iface: ConfiguredInterface, normalised: string): void {
  const { mac, subnet, cidrAddress, mtu } = renderValues(iface);
  const kf = parseKeyfile(normalised);
  const fail = (why: string): never => {
    throw new HostError(`NetworkManager reads the keyfile of ${iface.name} differently from what MultiNIC wrote: ${why}`);
  };
  const expect = (section: string, key: string, want: string | undefined, ...alsoOk: Array<string | undefined>) => {
    const got = keyfileValue(kf, section, key);
    if (got === want || alsoOk.includes(got)) return;
    fail(`${section}.${key} is ${got === undefined ? '(absent)' : JSON.stringify(got)}, expected ${want === undefined ? '(absent)' : JSON.stringify(want)}`);
  };
  expect('connection', 'id', profileId(iface.name));
  expect('connection', 'uuid', profileUuid(iface.name));
  expect('connection', 'type', 'ethernet', '802-3-ethernet');
  expect('connection', 'autoconnect', 'true', undefined);
  expect('connection', 'interface-name', undefined);
  if (keyfileValue(kf, 'ethernet', 'mac-address')?.toLowerCase() !== mac) fail(`ethernet.mac-address is not ${mac}`);
  expect('ethernet', 'mtu', mtu === null ? undefined : String(mtu));
  for (const family of [4, 6] as const) {
    const s = `ipv${family}`;
    if (family !== subnet.family) {
      expect(s, 'method', 'disabled');
      continue;
    }
    expect(s, 'never-default', 'true');
    expect(s, 'route-metric', String(ROUTE_METRIC));
    expect(s, 'gateway', undefined);
    if (cidrAddress === null) {
      expect(s, 'method', family === 4 ? 'auto' : 'dhcp');
      expect(s, 'ignore-auto-routes', 'true');
      expect(s, 'ignore-auto-dns', 'true');
      expect(s, 'address1', undefined);
    } else {
      expect(s, 'method', 'manual');
      // NM writes an address with no gateway as `address1=a/p`; some versions append `,` — both mean the same.
      expect(s, 'address1', cidrAddress, `${cidrAddress},`);
      expect(s, 'address2', undefined);
    }
    const routes = [...(kf.get(s)?.keys() ?? [])].filter((k) => /^route\d+$/.test(k));
    if (routes.length > 0) fail(`${s} carries routes ${routes.join(', ')}`);
  }
}
