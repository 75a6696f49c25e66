import { expect } from 'chai';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNmClaims, type NmNic } from '../../../src/host/networkmanager/claims.js';
import { renderKeyfile } from '../../../src/host/networkmanager/render.js';
import { configuredFrom, interfaceData } from '../../helpers/builders.js';

describe('NetworkManager claims from keyfiles and ifcfg files', () => {
  let conns: string;
  let ifcfg: string;
  const nic: NmNic = { mac: 'fa:16:3e:00:00:0a', currentName: 'ens4', newName: 'multinic2' };
  const read = () => readNmClaims({ connectionsDir: conns, ifcfgDir: ifcfg }, nic);

  beforeEach(async () => {
    conns = await mkdtemp(join(tmpdir(), 'nm-claims-'));
    ifcfg = await mkdtemp(join(tmpdir(), 'nm-claims-ifcfg-'));
  });
  afterEach(async () => {
    await rm(conns, { recursive: true, force: true });
    await rm(ifcfg, { recursive: true, force: true });
  });

  const keyfile = (name: string, body: string) => writeFile(join(conns, name), body, { mode: 0o600 });

  it('names every way a keyfile claims the NIC: MAC (any spelling), current or future name, a name pattern, no match at all', async () => {
    await keyfile('a.nmconnection', '[connection]\nid=by mac\ntype=ethernet\n[ethernet]\nmac-address=fa-16-3e-00-00-0A\n');
    await keyfile('b.nmconnection', '[connection]\nid=by name\ntype=ethernet\ninterface-name=ens4\n');
    await keyfile('c.nmconnection', '[connection]\nid=future\ntype=ethernet\ninterface-name=multinic2\n');
    await keyfile('d.nmconnection', '[connection]\nid=pattern\ntype=ethernet\n[match]\ninterface-name=!lo;en*\n');
    await keyfile('e.nmconnection', '[connection]\nid=catch-all\ntype=ethernet\n[ipv4]\nmethod=auto\n');
    expect((await read()).map((c) => [c.files[0]!.slice(conns.length + 1), c.definition, c.how])).to.deep.equal([
      ['a.nmconnection', 'by mac', 'matches MAC fa:16:3e:00:00:0a'],
      ['b.nmconnection', 'by name', 'names interface ens4'],
      ['c.nmconnection', 'future', 'names interface multinic2'],
      ['d.nmconnection', 'pattern', 'may match it by the pattern en*'],
      ['e.nmconnection', 'catch-all', 'matches every ethernet NIC (no MAC, no interface name)'],
    ]);
  });

  it('ignores profiles for other NICs, a catch-all that never autoconnects, non-ethernet ones, and MultiNIC\'s own keyfiles', async () => {
    await keyfile('other.nmconnection', '[connection]\nid=other\ntype=ethernet\ninterface-name=ens3\n[ethernet]\nmac-address=FA:16:3E:00:00:01\n');
    await keyfile('manual.nmconnection', '[connection]\nid=manual\ntype=ethernet\nautoconnect=false\n');
    await keyfile('wifi.nmconnection', '[connection]\nid=wifi\ntype=wifi\n');
    await keyfile('negated.nmconnection', '[connection]\nid=negated\ntype=ethernet\n[match]\ninterface-name=!ens4\n');
    const ours = configuredFrom(interfaceData({ macAddress: nic.mac }), 'multinic2');
    await keyfile('multinic-multinic2.nmconnection', renderKeyfile(ours));
    expect(await read()).to.deep.equal([]);
  });

  it('reads ifcfg files by HWADDR and DEVICE, skipping ifcfg-lo', async () => {
    await writeFile(join(ifcfg, 'ifcfg-eth1'), 'NAME="System eth1"\nHWADDR=FA:16:3E:00:00:0A\nONBOOT=yes\n');
    await writeFile(join(ifcfg, 'ifcfg-ens4'), 'DEVICE=ens4\nBOOTPROTO=none\n');
    await writeFile(join(ifcfg, 'ifcfg-lo'), 'DEVICE=lo\n');
    await writeFile(join(ifcfg, 'ifcfg-eth9'), 'DEVICE=eth9\nHWADDR=fa:16:3e:00:00:09\n');
    expect((await read()).map((c) => [c.definition, c.how])).to.deep.equal([
      ['ens4', 'names interface ens4'],
      ['System eth1', 'matches MAC fa:16:3e:00:00:0a'],
    ]);
  });

  it('reads no file through a symlink, and a missing directory means no claims', async () => {
    await writeFile(join(ifcfg, 'target'), 'DEVICE=ens4\n');
    await symlink(join(ifcfg, 'target'), join(conns, 'link.nmconnection'));
    expect(await read()).to.deep.equal([]);
    expect(await readNmClaims({ connectionsDir: join(conns, 'none'), ifcfgDir: join(ifcfg, 'none') }, nic)).to.deep.equal([]);
  });
});
