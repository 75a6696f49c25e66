import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printTable } from './table.js';

/** A value that must never appear in any output: it stands for a password. */
const SECRET = 'S3cr3t-hostile-pw-7f2a';

interface ConfigCase {
  name: string;
  env?: Record<string, string>;
  /** YAML file content for --config, or a path kind that cannot be read. */
  file?: string | { directory: true } | { missing: true };
  /** What stderr must name. */
  names: RegExp;
}

/**
 * Hostile configuration for `multinic agent` as a real process: each case must exit 2
 * with one message that names the key, and never echo a secret. The environment always
 * carries the SECRET in DB_PASSWORD so a message that dumped the config would show it.
 */
const CONFIG_CASES: ConfigCase[] = [
  { name: 'missing NODE_NAME (agent)', env: {}, names: /NODE_NAME \(node\.name\)/ },
  { name: 'DB_PORT not a number', env: { DB_PORT: 'three-three-oh-six' }, names: /DB_PORT \(db\.port\): expected an integer/ },
  { name: 'HTTP_PORT 70000', env: { HTTP_PORT: '70000' }, names: /HTTP_PORT \(http\.port\): expected an integer from 0 to 65535/ },
  { name: 'LOG_LEVEL unknown', env: { LOG_LEVEL: 'loud' }, names: /LOG_LEVEL \(log\.level\)/ },
  { name: 'AGENT_ALLOW_TAKEOVER not a boolean', env: { AGENT_ALLOW_TAKEOVER: 'perhaps' }, names: /AGENT_ALLOW_TAKEOVER .*expected true or false/ },
  { name: 'AMQP_DECLARE_EXCHANGES not a boolean', env: { AMQP_DECLARE_EXCHANGES: 'maybe' }, names: /AMQP_DECLARE_EXCHANGES \(amqp\.declareExchanges\)/ },
  { name: 'AGENT_NIC_WAIT not a duration', env: { AGENT_NIC_WAIT: 'a while' }, names: /AGENT_NIC_WAIT .*duration/ },
  { name: 'NODE_NAME with shell characters', env: { NODE_NAME: 'w1;reboot' }, names: /NODE_NAME \(node\.name\): expected a node name/ },
  { name: 'AMQP_URL not a URL (secret in it)', env: { AMQP_URL: `ftp://admin:${SECRET}@broker` }, names: /AMQP_URL \(amqp\.url\): expected a amqp: or amqps: URL/ },
  { name: 'NETPLAN_APPLY_COMMAND bad JSON', env: { NETPLAN_APPLY_COMMAND: '["netplan", "apply"' }, names: /NETPLAN_APPLY_COMMAND \(netplan\.applyCommand\)/ },
  { name: 'NETPLAN_APPLY_COMMAND JSON of numbers', env: { NETPLAN_APPLY_COMMAND: '[1, 2]' }, names: /NETPLAN_APPLY_COMMAND \(netplan\.applyCommand\)/ },
  { name: 'NETPLAN_APPLY_COMMAND empty array', env: { NETPLAN_APPLY_COMMAND: '[]' }, names: /NETPLAN_APPLY_COMMAND \(netplan\.applyCommand\)/ },
  { name: 'AGENT_PROBES naming an unknown probe', env: { AGENT_PROBES: 'gateway;reboot' }, names: /AGENT_PROBES \(agent\.probes\): expected a comma-separated list/ },
  { name: 'AGENT_PROBE_TIMEOUT not a duration', env: { AGENT_PROBE_TIMEOUT: 'soonish' }, names: /AGENT_PROBE_TIMEOUT \(agent\.probeTimeout\).*duration/ },
  { name: 'AGENT_ALLOW_OVERLAP not a boolean', env: { AGENT_ALLOW_OVERLAP: 'sometimes' }, names: /AGENT_ALLOW_OVERLAP .*expected true or false/ },
  { name: 'IP_COMMAND bad JSON', env: { IP_COMMAND: '["nsenter",' }, names: /IP_COMMAND \(host\.ipCommand\)/ },
  { name: 'IP_COMMAND not ending in ip (a bare namespace prefix)', env: { IP_COMMAND: '["nsenter","--target","1","--net","--"]' }, names: /IP_COMMAND \(host\.ipCommand\): expected an argv ending in the `ip` binary/ },
  { name: '--config missing file', file: { missing: true }, names: /--config: cannot read .*ENOENT/ },
  { name: '--config unreadable (a directory)', file: { directory: true }, names: /--config: cannot read .*EISDIR/ },
  { name: '--config not YAML', file: 'db: [unclosed\n  port: {', names: /--config: .* is not valid YAML/ },
  { name: '--config YAML that is a list', file: '- db\n- amqp\n', names: /--config: .* must hold a YAML mapping/ },
  { name: '--config YAML that is a scalar', file: 'just a string\n', names: /--config: .* must hold a YAML mapping/ },
  { name: '--config unknown key', file: 'db:\n  hostname: x\n', names: /unknown key\(s\) hostname/ },
  { name: '--config unknown section', file: 'databse:\n  host: x\n', names: /unknown key\(s\) databse/ },
  { name: '--config wrong type (port list)', file: 'db:\n  port: [3306]\n', names: /DB_PORT \(db\.port\)/ },
  { name: '--config section not a mapping', file: 'db: 5\n', names: /db: expected a mapping|db\b/ },
  { name: '--config secret of the wrong type', file: `db:\n  password: ["${SECRET}"]\n`, names: /DB_PASSWORD \(db\.password\): expected a string/ },
];

/** `multinic [global args] agent`: --config is a global option, so it goes before the command. */
function runAgent(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/multinic.js', ...args, 'agent'], { env: { PATH: process.env.PATH ?? '', MULTINIC_FROM_SOURCE: '1', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number | string }).code as number | null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, out: `${stdout}${stderr}` });
    });
  });
}

describe('hostile configuration: `multinic agent` exits 2 naming the key, never echoing a secret', function () {
  this.timeout(120_000);
  let dir: string;
  const results: Array<[string, string, string]> = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multinic-hostile-config-'));
  });
  after(async () => {
    printTable(`hostile configuration (${CONFIG_CASES.length} cases)`, ['case', 'exit', 'message'], results, 100);
    await rm(dir, { recursive: true, force: true });
  });

  it('every case: exit code 2, one line naming the key, no secret', async () => {
    const run = async (c: ConfigCase, k: number) => {
      const args: string[] = [];
      if (c.file !== undefined) {
        const path = join(dir, `case-${k}.yaml`);
        if (typeof c.file === 'string') await writeFile(path, c.file);
        else if ('directory' in c.file) await mkdir(path);
        args.push('--config', path);
      }
      // Every case but the first has a node name, so the failure is the key under test.
      const base: Record<string, string> = k === 0 ? {} : { NODE_NAME: 'worker-node-1' };
      // A secret in the file is only read when the environment does not override it.
      const secretEnv: Record<string, string> = typeof c.file === 'string' && c.file.includes(SECRET) ? {} : { DB_PASSWORD: SECRET };
      return runAgent(args, { ...base, ...secretEnv, DB_HOST: '127.0.0.1', ...c.env });
    };
    const outcomes: Array<{ code: number | null; out: string }> = [];
    // Two at a time: each is a Node start-up, and the machine's two cores are shared.
    for (let k = 0; k < CONFIG_CASES.length; k += 2) {
      outcomes.push(...(await Promise.all(CONFIG_CASES.slice(k, k + 2).map((c, j) => run(c, k + j)))));
    }
    const wrong: string[] = [];
    for (const [k, c] of CONFIG_CASES.entries()) {
      const { code, out } = outcomes[k]!;
      const message = out.trim();
      const ok = code === 2 && c.names.test(message) && !message.includes(SECRET) && message.split('\n').length === 1;
      results.push([c.name, String(code), message]);
      if (!ok) wrong.push(`${c.name}: exit ${code}, output ${JSON.stringify(message.slice(0, 400))} (expected ${c.names}, no secret, one line)`);
    }
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
  });
});
