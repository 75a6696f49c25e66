import { expect } from 'chai';
import { HostError } from '../../../src/errors/errors.js';
import { classify, Verdict } from '../../../src/errors/classify.js';
import { assertMayConfigure, ipAddressReader, parseIpAddrJson, type TakeoverCheck } from '../../../src/host/addresses.js';
import { createRingLogger } from '../../../src/log/logger.js';

const IP_JSON = JSON.stringify([
  {
    ifname: 'ens4',
    addr_info: [
      { family: 'inet', local: '10.1.2.3', prefixlen: 24, scope: 'global' },
      { family: 'inet6', local: '2001:db8::5', prefixlen: 64, scope: 'global' },
      { family: 'inet6', local: 'fe80::f816:3eff:feaa:bbcc', prefixlen: 64, scope: 'link' },
    ],
  },
]);

const base: TakeoverCheck = { ifname: 'ens4', mac: 'fa:16:3e:aa:bb:cc', operstate: 'up', addresses: ['10.1.2.3/24'], ours: false, allowTakeover: false };

describe('host/addresses', () => {
  it('parses `ip -j addr` output and ignores link-local addresses', () => {
    expect(parseIpAddrJson(IP_JSON)).to.deep.equal(['10.1.2.3/24', '2001:db8::5/64']);
    expect(parseIpAddrJson('[{"ifname":"ens4","addr_info":[]}]')).to.deep.equal([]);
  });

  it('runs `ip -j addr show dev <ifname>` as an argv through the injected runner', async () => {
    const { log } = createRingLogger();
    const calls: (readonly string[])[] = [];
    const reader = ipAddressReader({ log, run: async (argv) => (calls.push(argv), { stdout: IP_JSON, stderr: '', durationMs: 1 }) });
    expect(await reader('ens4')).to.have.length(2);
    expect(calls).to.deep.equal([['ip', '-j', 'addr', 'show', 'dev', 'ens4']]);
  });

  describe('takeover guard', () => {
    it('refuses an up NIC carrying addresses MultiNIC did not configure, permanently', () => {
      expect(() => assertMayConfigure(base)).to.throw(HostError, /refusing to take over ens4.*10\.1\.2\.3\/24.*AGENT_ALLOW_TAKEOVER/);
      try {
        assertMayConfigure(base);
      } catch (err) {
        expect(classify(err)).to.equal(Verdict.DeadLetter);
      }
    });

    it('treats unknown / lowerlayerdown as in use too', () => {
      expect(() => assertMayConfigure({ ...base, operstate: 'unknown' })).to.throw(HostError);
      expect(() => assertMayConfigure({ ...base, operstate: 'lowerlayerdown' })).to.throw(HostError);
    });

    it('allows a NIC that is ours, down, without addresses, or when takeover is allowed', () => {
      expect(() => assertMayConfigure({ ...base, ours: true })).not.to.throw();
      expect(() => assertMayConfigure({ ...base, operstate: 'down' })).not.to.throw();
      expect(() => assertMayConfigure({ ...base, addresses: [] })).not.to.throw();
      expect(() => assertMayConfigure({ ...base, allowTakeover: true })).not.to.throw();
    });
  });
});
