import { expect } from 'chai';
import { eventFromFlags, fillDetachFromRow, FlagProblemsError } from '../../../src/cli/commands/publish-event.js';
import type { PublishFlags } from '../../../src/cli/commands/publish-flags.js';
import { macFromText } from '../../../src/events/index.js';
import type { InterfaceRowWithSubnet } from '../../../src/model/row-data.js';

const GOOD: PublishFlags = {
  node: 'worker-node-1', port: 'port-1', mac: 'fa:16:3e:00:00:01', subnetId: 'subnet-1', networkId: 'net-1', cidr: '192.168.100.0/24', address: '192.168.100.7', generation: '1700000000000',
};
const problemsOf = (action: 'attach' | 'detach', flags: PublishFlags): string[] => {
  try {
    eventFromFlags(action, flags);
  } catch (err) {
    if (err instanceof FlagProblemsError) return err.problems;
    throw err;
  }
  return [];
};

describe('multinic publish: flags to event', () => {
  for (const written of ['fa:16:3e:0a:0b:01', 'FA:16:3E:0A:0B:01', 'FA-16-3E-0A-0B-01', 'fa-16-3e-0a-0b-01', 'fa16.3e0a.0b01', 'FA16.3E0A.0B01', 'fa163e0a0b01', '  FA163E0A0B01 ']) {
    it(`accepts the MAC written ${JSON.stringify(written)} and sends fa:16:3e:0a:0b:01`, () => {
      expect(eventFromFlags('attach', { ...GOOD, mac: written }).data.macAddress).to.equal('fa:16:3e:0a:0b:01');
    });
  }

  for (const bad of ['fa:16:3e:00:00', 'fa:16-3e:00:00:01', 'fa16.3e00.00', 'fa163e0000011', 'gg:16:3e:00:00:01', 'fa:16:3e:00:00:01\nx', 'ｆａ:16:3e:00:00:01', '', 'fa1.63e.000.001']) {
    it(`refuses the MAC ${JSON.stringify(bad)} naming --mac and every accepted form`, () => {
      const [line, ...rest] = problemsOf('attach', { ...GOOD, mac: bad });
      expect(rest).to.deep.equal([]);
      expect(line).to.match(/^--mac /).and.include('accepted: six hex octets as fa:16:3e:10:01:12, FA-16-3E-10-01-12, fa16.3e10.0112 or fa163e100112');
      expect(line).to.not.include('\n');
    });
  }

  it('refuses multicast and all-zero MACs in any form', () => {
    expect(problemsOf('attach', { ...GOOD, mac: '01-00-5E-00-00-01' })[0]).to.match(/^--mac MAC 01:00:5e:00:00:01 is a multicast/);
    expect(problemsOf('attach', { ...GOOD, mac: '0000.0000.0000' })[0]).to.match(/^--mac MAC 00:00:00:00:00:00 is not a port address/);
  });

  it('reports every problem at once, one line per flag (unreadable numbers first, then data order), each with the accepted form', () => {
    const problems = problemsOf('attach', { ...GOOD, node: 'worker node 1', mac: 'nope', cidr: '192.168.100.1/24', mtu: 'big', generation: '-5', crName: 'Upper_Case' });
    expect(problems.map((p) => p.split(' ')[0])).to.deep.equal(['--mtu', '--generation', '--mac', '--node', '--cidr', '--cr-name']);
    for (const p of problems) expect(p).to.match(/; accepted: \S/);
    expect(problems.find((p) => p.startsWith('--cidr'))).to.include('host bits set').and.include('accepted: network/prefix');
    const err = (() => {
      try {
        eventFromFlags('attach', { ...GOOD, node: 'a b', mac: 'x' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err!.message).to.match(/^2 problems:\n {2}--mac .*\n {2}--node /);
  });

  it('checks the address against the CIDR and the IPv6 MTU floor only once the CIDR is good', () => {
    expect(problemsOf('attach', { ...GOOD, address: '10.0.0.1' })).to.have.length(1).and.satisfy((p: string[]) => p[0]!.startsWith('--address address 10.0.0.1 is outside its cidr'));
    expect(problemsOf('attach', { ...GOOD, cidr: 'fd00:100::/64', address: undefined, mtu: '1279' })[0]).to.match(/^--mtu 1279 is below 1280/);
    expect(problemsOf('attach', { ...GOOD, cidr: 'garbage', address: '10.0.0.1' }).map((p) => p.split(' ')[0])).to.deep.equal(['--cidr']);
  });

  for (const [what, over] of [
    ['shell syntax in the node', { node: 'w1;reboot' }],
    ['command substitution in the port', { port: '$(id)' }],
    ['a newline in the port', { port: 'p1\nmultinic_fake 1' }],
    ['a NUL in the subnet id', { subnetId: 'sub\u0000net' }],
    ['control characters in the subnet name', { subnetName: 'data\u001b[31m' }],
    ['a 300-character node name', { node: 'n'.repeat(300) }],
    ['a generation beyond 2^53', { generation: '99999999999999999' }],
  ] as const) {
    it(`refuses ${what}: one line, JSON-quoted values, nothing built`, () => {
      const problems = problemsOf('attach', { ...GOOD, ...over });
      expect(problems).to.have.length(1);
      expect(problems[0]).to.not.match(/[\n\u0000\u001b]/);
    });
  }

  it('a detach needs only --node and --port when the row supplies the rest, and flags win over the row', () => {
    const row = {
      port_id: 'port-1', macaddress: 'FA:16:3E:00:00:09', subnet_id: 'subnet-9', subnet_name: 'data', network_id: 'net-9', cidr: '10.9.0.0/24',
      address: '10.9.0.5', mtu: 9000, cr_namespace: 'ns', cr_name: 'cr', attached_node_name: 'worker-node-1',
    } as unknown as InterfaceRowWithSubnet;
    const event = eventFromFlags('detach', fillDetachFromRow({ node: 'worker-node-1', port: 'port-1', mtu: '1500' }, row));
    expect(event.type).to.equal('io.multinic.interface.detach');
    expect(event.data).to.include({ macAddress: 'fa:16:3e:00:00:09', subnetId: 'subnet-9', networkId: 'net-9', cidr: '10.9.0.0/24', address: '10.9.0.5', mtu: 1500, crName: 'cr' });
  });

  it('a detach without a row names each missing flag', () => {
    const problems = problemsOf('detach', fillDetachFromRow({ node: 'worker-node-1', port: 'port-1' }, undefined));
    expect(problems.map((p) => p.split(';')[0])).to.deep.equal(['--mac is missing', '--subnet-id is missing', '--network-id is missing', '--cidr is missing']);
  });

  it('macFromText refuses what is no MAC and never throws', () => {
    for (const t of ['', ':::::', 'fa:16:3e:00:00:01:02', '12345678901234567890', 'fa16-3e00-0001']) expect(macFromText(t)).to.have.property('error');
  });
});
