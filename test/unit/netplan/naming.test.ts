import { expect } from 'chai';
import { HostError } from '../../../src/errors/errors.js';
import { NameAllocator, allocateName, type NamingSnapshot } from '../../../src/host/naming.js';

const mac = (n: number): string => `fa:16:3e:00:${Math.floor(n / 256).toString(16).padStart(2, '0')}:${(n % 256).toString(16).padStart(2, '0')}`;
const owned = (...pairs: Array<[string, string]>) => pairs.map(([name, macAddress]) => ({ name, macAddress }));

describe('netplan naming', () => {
  describe('allocateName', () => {
    it('gives the first MAC multinic0', () => {
      expect(allocateName(mac(1), [], ['lo', 'eth0'])).to.equal('multinic0');
    });

    it('keeps the name of a MAC that already has one, whatever its case', () => {
      const files = owned(['multinic0', mac(1)], ['multinic1', mac(2)]);
      expect(allocateName(mac(2).toUpperCase(), files, ['multinic0', 'multinic1'])).to.equal('multinic1');
    });

    it('keeps a MAC on its name even when the NIC already carries that name on the host', () => {
      expect(allocateName(mac(1), owned(['multinic4', mac(1)]), ['multinic4'])).to.equal('multinic4');
    });

    it('reuses the lowest gap', () => {
      const files = owned(['multinic0', mac(1)], ['multinic2', mac(3)]);
      expect(allocateName(mac(9), files, [])).to.equal('multinic1');
    });

    it('skips a name present on the host that no file of ours claims', () => {
      expect(allocateName(mac(9), owned(['multinic0', mac(1)]), ['eth0', 'multinic1', 'multinic2'])).to.equal('multinic3');
    });

    it('goes beyond ten', () => {
      const files = Array.from({ length: 12 }, (_, i) => ({ name: `multinic${i}`, macAddress: mac(i) }));
      expect(allocateName(mac(100), files, [])).to.equal('multinic12');
    });

    it('refuses to decide when our files give the MAC\'s name to another MAC too', () => {
      expect(() => allocateName(mac(1), owned(['multinic0', mac(1)], ['multinic0', mac(2)]), [])).to.throw(HostError, /multinic0/);
    });

    it('picks the lowest name, deterministically, when one MAC has several files', () => {
      expect(allocateName(mac(1), owned(['multinic7', mac(1)], ['multinic3', mac(1)]), [])).to.equal('multinic3');
    });
  });

  describe('NameAllocator', () => {
    it('never gives two MACs one name when many allocate at once', async () => {
      const allocator = new NameAllocator();
      const disk: NamingSnapshot = { owned: owned(['multinic1', mac(999)]), hostNames: ['eth0', 'multinic3'] };
      // The snapshot yields to the event loop, as a real directory read does.
      const snapshot = async (): Promise<NamingSnapshot> => {
        await new Promise((r) => setImmediate(r));
        return disk;
      };
      const macs = Array.from({ length: 40 }, (_, i) => mac(i));
      const names = await Promise.all(macs.map((m) => allocator.allocate(m, snapshot)));
      expect(new Set(names).size).to.equal(macs.length);
      expect(names).not.to.include('multinic1');
      expect(names).not.to.include('multinic3');
      expect([...names].sort((a, b) => Number(a.slice(8)) - Number(b.slice(8))).slice(0, 3)).to.deep.equal(['multinic0', 'multinic2', 'multinic4']);
      expect(names).to.include('multinic41');
    });

    it('gives the same MAC the same reserved name while its file is being written', async () => {
      const allocator = new NameAllocator();
      const snapshot = async (): Promise<NamingSnapshot> => ({ owned: [], hostNames: [] });
      const [a, b] = await Promise.all([allocator.allocate(mac(1), snapshot), allocator.allocate(mac(1), snapshot)]);
      expect(a).to.equal('multinic0');
      expect(b).to.equal('multinic0');
    });

    it('frees a name on release, so a failed attempt leaves no hole', async () => {
      const allocator = new NameAllocator();
      const snapshot = async (): Promise<NamingSnapshot> => ({ owned: [], hostNames: [] });
      expect(await allocator.allocate(mac(1), snapshot)).to.equal('multinic0');
      allocator.release(mac(1));
      expect(allocator.reservations().size).to.equal(0);
      expect(await allocator.allocate(mac(2), snapshot)).to.equal('multinic0');
    });

    it('keeps serving after a snapshot fails', async () => {
      const allocator = new NameAllocator();
      const failing = allocator.allocate(mac(1), async () => {
        throw new Error('readdir failed');
      });
      const next = allocator.allocate(mac(2), async () => ({ owned: [], hostNames: [] }));
      expect(await failing.catch((e: Error) => e.message)).to.equal('readdir failed');
      expect(await next).to.equal('multinic0');
    });
  });
});
