import { expect } from 'chai';
import { createServer } from 'node:net';
import { loadConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/errors/errors.js';
import { netnsPrefixOf, parseIpAddr, parseIpRoute, routeCidr } from '../../../src/host/kernel.js';
import { createRegistry } from '../../../src/http/metrics.js';
import { startHttpServer } from '../../../src/http/server.js';
import { createRingLogger } from '../../../src/log/logger.js';

describe('issue 11 settings: HTTP_HOST, probes, overlap opt-out, the host namespace from IP_COMMAND', () => {
  it('defaults: 127.0.0.1, every probe, 5 s, overlap refused, probes behind IP_COMMAND\'s nsenter into PID 1 for the network only', () => {
    const c = loadConfig();
    expect(c.http.host).to.equal('127.0.0.1');
    expect(c.agent.probes).to.deep.equal(['gateway', 'api-server', 'routes']);
    expect(c.agent.probeTimeout).to.equal(5000);
    expect(c.agent.allowOverlap).to.equal(false);
    expect(c.host.ipCommand).to.deep.equal(['nsenter', '--target', '1', '--net', '--', 'ip']);
    expect(netnsPrefixOf(c.host.ipCommand)).to.deep.equal(['nsenter', '--target', '1', '--net', '--']);
  });

  it('takes a probe list, an empty one (no probes), a bare `ip` (own namespace, empty prefix), and names a bad probe or an IP_COMMAND not ending in ip', () => {
    expect(loadConfig({ env: { AGENT_PROBES: ' gateway , routes' } }).agent.probes).to.deep.equal(['gateway', 'routes']);
    expect(loadConfig({ env: { AGENT_PROBES: '' } }).agent.probes).to.deep.equal([]);
    expect(netnsPrefixOf(loadConfig({ env: { IP_COMMAND: '["/usr/sbin/ip"]' } }).host.ipCommand)).to.deep.equal([]);
    expect(loadConfig({ env: { IP_COMMAND: '' } }).host.ipCommand).to.deep.equal([]);
    expect(() => loadConfig({ env: { IP_COMMAND: '["nsenter","--target","1","--net","--"]' } })).to.throw(ConfigError, /IP_COMMAND \(host\.ipCommand\): expected an argv ending in the `ip` binary/);
    expect(() => loadConfig({ env: { AGENT_PROBES: 'gateway,dns' } })).to.throw(ConfigError, /AGENT_PROBES \(agent\.probes\): expected a comma-separated list of gateway, api-server, routes \(unknown: dns\)/);
    expect(() => loadConfig({ env: { AGENT_PROBE_TIMEOUT: 'soon' } })).to.throw(ConfigError, /AGENT_PROBE_TIMEOUT/);
  });

  it('the health server listens on 127.0.0.1 by default and names HTTP_PORT when the port is taken', async () => {
    const { log } = createRingLogger();
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      const err = await startHttpServer({ port, registry: createRegistry(), readiness: [], log }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.equal(`HTTP_PORT (http.port) / --http-port: port ${port} is already in use on 127.0.0.1; choose another, or 0 for a free one`);
    } finally {
      taken.close();
    }
    const s = await startHttpServer({ port: 0, registry: createRegistry(), readiness: [], log });
    try {
      expect((await fetch(`http://127.0.0.1:${s.port}/healthz`)).status).to.equal(200);
    } finally {
      await s.close();
    }
  });

  it('reads `ip -j` addresses and routes (iproute2 6.1 shapes), host routes with their full prefix', () => {
    const addr = '[{"ifindex":2,"ifname":"ens3","addr_info":[{"family":"inet","local":"10.0.0.5","prefixlen":24,"scope":"global"},{"family":"inet6","local":"fe80::1","prefixlen":64,"scope":"link"}]}]';
    expect(parseIpAddr(addr).flatMap((l) => l.addresses.map((a) => ({ ifname: l.ifname, family: a.family, address: a.local, prefix: a.prefixlen, scope: a.scope })))).to.deep.equal([
      { ifname: 'ens3', family: 4, address: '10.0.0.5', prefix: 24, scope: 'global' },
      { ifname: 'ens3', family: 6, address: 'fe80::1', prefix: 64, scope: 'link' },
    ]);
    const routes = '[{"dst":"default","gateway":"10.0.0.1","dev":"ens3","protocol":"static","flags":[]},{"dst":"10.9.9.9","dev":"ens3","scope":"link","flags":[]},{"dst":"10.0.0.0/24","dev":"ens3","protocol":"kernel","scope":"link","prefsrc":"10.0.0.5","flags":[]}]';
    expect(parseIpRoute(routes, 4).map(routeCidr)).to.deep.equal(['default', '10.9.9.9/32', '10.0.0.0/24']);
    expect(parseIpRoute('', 6)).to.deep.equal([]);
  });
});
