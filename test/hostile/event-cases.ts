/**
 * The hostile event corpus, as one table a reader can scan: each case is a message body
 * sent to the agent's node through the REAL queue trigger, and the pattern its
 * `x-multinic-error` must match (the reason has to name the problem). Every one of them
 * must be dead-lettered with nothing written to the host.
 */

/** The node the agent under test serves, and a NIC it has. */
export const NODE = 'worker-node-1';
export const OTHER_NODE = 'worker-node-2';
export const GOOD_MAC = 'fa:16:3e:66:00:01';

type Json = Record<string, unknown>;

/** A valid attach event for NODE; each case changes one thing. */
export function validEvent(id: string, data: Json = {}): Json {
  return {
    specversion: '1.0',
    id,
    source: '/tools/hostile-corpus',
    type: 'io.multinic.interface.attach',
    subject: 'hostile-port-1',
    time: '2024-05-01T10:00:00.000Z',
    datacontenttype: 'application/json',
    data: {
      nodeName: NODE,
      portId: 'hostile-port-1',
      macAddress: GOOD_MAC,
      subnetId: 'subnet-hostile',
      subnetName: 'data-net',
      networkId: 'net-hostile',
      cidr: '192.168.50.0/24',
      address: '192.168.50.10',
      mtu: null,
      crNamespace: null,
      crName: null,
      generation: 1_700_000_000_000,
      ...data,
    },
  };
}

export interface EventCase {
  name: string;
  /** The body: raw bytes/text, or an event object changed from `validEvent(id)`. */
  body: (id: string) => Buffer | string | Json | unknown[] | null;
  /** What the dead-letter reason must say. */
  reason: RegExp;
}

/** Changes one top-level property (undefined deletes it). */
const top = (key: string, value: unknown) => (id: string) => {
  const e = validEvent(id);
  if (value === undefined) delete e[key];
  else e[key] = value;
  return e;
};
/** Changes one data property (undefined deletes it). */
const data = (key: string, value: unknown) => (id: string) => {
  const e = validEvent(id);
  const d = e.data as Json;
  if (value === undefined) delete d[key];
  else d[key] = value;
  if (key === 'portId' && typeof value === 'string') e.subject = value;
  return e;
};

const deepNesting = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

export const EVENT_CASES: EventCase[] = [
  { name: 'not JSON', body: () => '{"specversion": "1.0", oops', reason: /not JSON/ },
  { name: 'empty body', body: () => '', reason: /not JSON/ },
  { name: 'invalid UTF-8', body: () => Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), reason: /not valid UTF-8/ },
  { name: 'JSON array', body: () => [validEvent('x')], reason: /not a JSON object/ },
  { name: 'JSON null', body: () => null, reason: /not a JSON object/ },
  { name: 'JSON string', body: () => JSON.stringify('io.multinic.interface.attach'), reason: /not a JSON object/ },
  { name: 'huge (70 kB, limit 64 kB)', body: (id) => ({ ...validEvent(id), pad: 'x'.repeat(70_000) }), reason: /larger than the 65536-byte limit/ },
  { name: 'deep nesting (10000 levels)', body: () => deepNesting(10_000), reason: /not a CloudEvents 1.0|not JSON/ },
  { name: 'deep nesting inside data', body: (id) => ({ ...validEvent(id), data: JSON.parse(deepNesting(2_000)) }), reason: /\/data .*(unknown property|missing)/ },
  { name: 'specversion 0.3', body: top('specversion', '0.3'), reason: /specversion must be "1.0"/ },
  { name: 'specversion missing', body: top('specversion', undefined), reason: /specversion must be "1.0"/ },
  { name: 'unknown type', body: top('type', 'io.multinic.interface.reboot'), reason: /\/type must be one of/ },
  { name: 'type missing', body: top('type', undefined), reason: /missing "type"/ },
  { name: 'data is an array', body: top('data', []), reason: /\/data must be object/ },
  { name: 'extra top-level property', body: top('command', 'reboot'), reason: /unknown property "command"/ },
  { name: 'extra data property', body: data('gateway', '0.0.0.0'), reason: /\/data has unknown property "gateway"/ },
  { name: 'missing macAddress', body: data('macAddress', undefined), reason: /\/data is missing "macAddress"/ },
  { name: 'missing address (null must be explicit)', body: data('address', undefined), reason: /\/data is missing "address"/ },
  { name: "another node's event", body: data('nodeName', OTHER_NODE), reason: /event is for node "worker-node-2"/ },
  { name: 'subject differs from portId', body: top('subject', 'some-other-port'), reason: /subject "some-other-port" does not match data.portId/ },
  { name: 'mtu is a string', body: data('mtu', '1500'), reason: /\/data\/mtu must be integer,null/ },
  { name: 'mtu is a float', body: data('mtu', 1500.5), reason: /\/data\/mtu must be integer/ },
  { name: 'generation is a string', body: data('generation', '1700000000000'), reason: /\/data\/generation must be integer/ },
  { name: 'generation negative', body: data('generation', -1), reason: /\/data\/generation must be >= 0/ },
  { name: 'macAddress is a number', body: data('macAddress', 281474976710655), reason: /\/data\/macAddress must be string/ },
  { name: 'bad MAC (zz)', body: data('macAddress', 'zz:16:3e:00:00:01'), reason: /\/data\/macAddress has characters/ },
  { name: 'MAC multicast', body: data('macAddress', '01:00:5e:00:00:01'), reason: /multicast\/broadcast/ },
  { name: 'MAC all zeros', body: data('macAddress', '00:00:00:00:00:00'), reason: /00:00:00:00:00:00 is not a port address/ },
  { name: 'MAC with trailing newline', body: data('macAddress', `${GOOD_MAC}\n`), reason: /\/data\/macAddress has characters/ },
  { name: 'CIDR garbage', body: data('cidr', 'banana'), reason: /\/data\/cidr/ },
  { name: 'CIDR prefix /99', body: data('cidr', '192.168.50.0/99'), reason: /prefix \/99, expected 1-32/ },
  { name: 'CIDR with host bits', body: data('cidr', '192.168.50.7/24'), reason: /host bits set/ },
  { name: 'CIDR octet 999', body: data('cidr', '999.168.50.0/24'), reason: /invalid network address/ },
  { name: 'address garbage', body: data('address', '192.168.50.999'), reason: /address "192.168.50.999" is not a valid IP/ },
  { name: 'address outside CIDR', body: data('address', '10.0.0.5'), reason: /outside its cidr 192.168.50.0\/24/ },
  { name: 'address is the broadcast', body: data('address', '192.168.50.255'), reason: /broadcast address/ },
  // Addresses no interface can carry (issue 12 point 5): each reason names the range.
  { name: 'IPv4-mapped subnet and address', body: (id) => validEvent(id, { cidr: '::ffff:10.30.0.0/120', address: '::ffff:10.30.0.9' }), reason: /cidr ::ffff:10.30.0.0\/120 is in IPv4-mapped IPv6 ::ffff:0:0\/96/ },
  { name: 'IPv4-compatible subnet', body: (id) => validEvent(id, { cidr: '::/96', address: '::10.30.0.9' }), reason: /IPv4-compatible IPv6 ::\/96/ },
  { name: 'loopback subnet', body: (id) => validEvent(id, { cidr: '127.0.0.0/8', address: '127.0.0.5' }), reason: /loopback 127.0.0.0\/8/ },
  { name: 'IPv6 loopback', body: (id) => validEvent(id, { cidr: '::1/128', address: '::1' }), reason: /loopback address ::1\/128/ },
  { name: 'multicast subnet', body: (id) => validEvent(id, { cidr: '224.0.0.0/24', address: '224.0.0.5' }), reason: /multicast 224.0.0.0\/4/ },
  { name: 'IPv6 multicast subnet', body: (id) => validEvent(id, { cidr: 'ff02::/16', address: 'ff02::5' }), reason: /multicast ff00::\/8/ },
  { name: '"this network" 0.0.0.0/8', body: (id) => validEvent(id, { cidr: '0.0.0.0/8', address: '0.0.0.5' }), reason: /"this network" 0.0.0.0\/8/ },
  { name: 'link-local IPv4 subnet', body: (id) => validEvent(id, { cidr: '169.254.0.0/16', address: '169.254.3.4' }), reason: /link-local 169.254.0.0\/16/ },
  { name: 'link-local IPv6 subnet', body: (id) => validEvent(id, { cidr: 'fe80::/64', address: 'fe80::5' }), reason: /link-local fe80::\/10/ },
  { name: 'link-local address inside a wide IPv4 subnet', body: (id) => validEvent(id, { cidr: '128.0.0.0/1', address: '169.254.7.7' }), reason: /address 169.254.7.7 is in link-local 169.254.0.0\/16/ },
  { name: 'address is the network address', body: data('address', '192.168.50.0'), reason: /network address of 192.168.50.0\/24/ },
  { name: 'IPv6 Subnet-Router anycast', body: (id) => validEvent(id, { cidr: 'fd00:50::/64', address: 'fd00:50::' }), reason: /Subnet-Router anycast address of fd00:50::\/64/ },
  { name: 'address IPv6 on IPv4 subnet', body: data('address', 'fd00::5'), reason: /is IPv6 but cidr .* is IPv4/ },
  { name: 'address with zone id', body: data('address', 'fe80::1%eth0'), reason: /\/data\/address has characters/ },
  { name: 'MTU 0', body: data('mtu', 0), reason: /\/data\/mtu must be >= 576/ },
  { name: 'MTU 70000', body: data('mtu', 70_000), reason: /\/data\/mtu must be <= 9216/ },
  { name: 'IPv6 with MTU 1000', body: (id) => validEvent(id, { cidr: 'fd00:50::/64', address: 'fd00:50::10', mtu: 1000 }), reason: /mtu 1000 is below 1280, the minimum for IPv6/ },
  { name: 'time is not a date', body: top('time', 'yesterday'), reason: /\/time must match format "date-time"/ },
  { name: 'datacontenttype text/yaml', body: top('datacontenttype', 'text/yaml'), reason: /\/datacontenttype must be "application\/json"/ },
  { name: 'NUL inside a word of subnetName', body: data('subnetName', 'data\u0000net'), reason: /\/data\/subnetName has characters/ },
  { name: 'route injection via newline in subnetName', body: data('subnetName', 'data\n  routes: [{to: 0.0.0.0/0}]'), reason: /\/data\/subnetName has characters/ },
  { name: 'unicode portId', body: data('portId', 'pört-1'), reason: /\/subject has characters|\/data\/portId has characters/ },
  { name: 'emoji nodeName', body: data('nodeName', 'worker-😀'), reason: /\/data\/nodeName has characters/ },
];

/** The string fields of an event and where the schema reports them. */
export const STRING_FIELDS: Array<{ field: string; where: 'top' | 'data'; path: RegExp }> = [
  { field: 'id', where: 'top', path: /\/id / },
  { field: 'source', where: 'top', path: /\/source / },
  { field: 'subject', where: 'top', path: /\/subject / },
  { field: 'time', where: 'top', path: /\/time / },
  { field: 'dataschema', where: 'top', path: /\/dataschema / },
  { field: 'nodeName', where: 'data', path: /\/data\/nodeName / },
  { field: 'portId', where: 'data', path: /\/subject |\/data\/portId / },
  { field: 'macAddress', where: 'data', path: /\/data\/macAddress / },
  { field: 'subnetId', where: 'data', path: /\/data\/subnetId / },
  { field: 'subnetName', where: 'data', path: /\/data\/subnetName / },
  { field: 'networkId', where: 'data', path: /\/data\/networkId / },
  { field: 'cidr', where: 'data', path: /\/data\/cidr / },
  { field: 'address', where: 'data', path: /\/data\/address / },
  { field: 'crNamespace', where: 'data', path: /\/data\/crNamespace / },
  { field: 'crName', where: 'data', path: /\/data\/crName / },
];

/** Metacharacters put into every string field: YAML structure, a shell command, a newline, a null byte. */
export const META_STRINGS: Array<{ name: string; value: string }> = [
  { name: 'YAML + newline', value: 'x\n  routes:\n    - to: 0.0.0.0/0' },
  { name: 'shell', value: '$(reboot);`id`|rm -rf /' },
  { name: 'null byte', value: 'a\u0000b' },
];

/**
 * subnetName is a free-text label by contract (any printable text, it is never rendered
 * into netplan): shell and YAML characters on one line are accepted there. The corpus
 * checks that such an event is applied with the label inert, rather than rejected.
 */
export const ACCEPTED_LABEL = "data-net: {a: b} # $(reboot); `id` | 'q' \"dq\" Ünïcödé 网络 😀";

/** The generated cases: every string field x every metacharacter string. */
export function metaCases(): EventCase[] {
  const out: EventCase[] = [];
  for (const f of STRING_FIELDS) {
    for (const m of META_STRINGS) {
      if (f.field === 'subnetName' && m.name === 'shell') continue; // accepted by contract: ACCEPTED_LABEL
      out.push({
        name: `${m.name} in ${f.field}`,
        body: f.where === 'top' ? top(f.field, m.value) : data(f.field, m.value),
        reason: f.field === 'time' ? /\/time must match format|\/time has/ : new RegExp(`(?:${f.path.source})has characters or a form that is not allowed`),
      });
    }
  }
  return out;
}
