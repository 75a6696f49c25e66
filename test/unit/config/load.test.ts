import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/errors/errors.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'multinic-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('fills every default, including the documented publisher ones', () => {
    const c = loadConfig();
    expect(c.db.name).to.equal('multinic_db');
    // No lock name: the publisher derives one per database (defaultLockName, src/db/mysql-lock.ts).
    expect(c.publisher).to.deep.equal({ pollInterval: 250, resendAfter: 60_000, batchSize: 5000, brokerGrace: 30_000, nodeRefresh: 30_000 });
    expect(c.agent.resyncInterval).to.equal(300_000);
  });

  it('lets the environment win over the file, and flags over both', () => {
    const f = file('c.yaml', 'db:\n  host: file-host\n  port: 3307\npublisher:\n  pollInterval: 2s\n');
    const c = loadConfig({ file: f, env: { DB_HOST: 'env-host' }, overrides: { 'publisher.pollInterval': '250ms' } });
    expect(c.db).to.include({ host: 'env-host', port: 3307 });
    expect(c.publisher.pollInterval).to.equal(250);
  });

  it('takes an empty variable as unset, except where empty means something', () => {
    const c = loadConfig({ env: { DB_HOST: '', NETPLAN_GENERATE_COMMAND: '', DB_PASSWORD: '' }, file: file('c.yaml', 'db:\n  password: from-file\n') });
    expect(c.db.host).to.equal('127.0.0.1');
    expect(c.netplan.generateCommand).to.equal('');
    expect(c.db.password).to.equal('');
  });

  it('parses durations in ms, s, m and h', () => {
    expect(loadConfig({ env: { PUBLISHER_RESEND_AFTER: '1.5s' } }).publisher.resendAfter).to.equal(1500);
    expect(loadConfig({ env: { PUBLISHER_RESEND_AFTER: '2m' } }).publisher.resendAfter).to.equal(120_000);
    expect(loadConfig({ env: { PUBLISHER_RESEND_AFTER: '750' } }).publisher.resendAfter).to.equal(750);
  });

  it('names an unknown key', () => {
    expect(configError(() => loadConfig({ file: file('c.yaml', 'db:\n  hots: x\n') })).message).to.match(/unknown key\(s\) hots/);
  });

  it('names a key of the wrong type with both its names', () => {
    const e = configError(() => loadConfig({ env: { DB_PORT: 'abc' } }));
    expect(e.message).to.match(/^DB_PORT \(db\.port\): expected an integer from 1 to 65535, got "abc"/);
  });

  it('names a bad duration', () => {
    expect(configError(() => loadConfig({ env: { PUBLISHER_POLL_INTERVAL: 'soon' } })).message).to.match(/PUBLISHER_POLL_INTERVAL \(publisher\.pollInterval\): expected a duration/);
  });

  it('names bad argv JSON', () => {
    expect(configError(() => loadConfig({ env: { NETPLAN_APPLY_COMMAND: '["netplan", ' } })).message).to.match(/NETPLAN_APPLY_COMMAND.*not a valid JSON array/);
  });

  it('splits an argv on whitespace and keeps shell characters literal', () => {
    expect(loadConfig({ env: { NETPLAN_APPLY_COMMAND: 'echo $(reboot) ;' } }).netplan.applyCommand).to.deep.equal(['echo', '$(reboot)', ';']);
  });

  it('names an unreadable file', () => {
    expect(configError(() => loadConfig({ file: join(dir, 'missing.yaml') })).message).to.match(/^--config: cannot read .*ENOENT/);
  });

  it('rejects YAML that is not a mapping, and YAML that does not parse', () => {
    expect(configError(() => loadConfig({ file: file('list.yaml', '- a\n- b\n') })).message).to.match(/must hold a YAML mapping/);
    expect(configError(() => loadConfig({ file: file('bad.yaml', 'db: [unclosed\n') })).message).to.match(/is not valid YAML/);
  });

  it('never echoes a secret value in an error', () => {
    const e = configError(() => loadConfig({ env: { AMQP_URL: 'ftp://user:hunter2@host/' } }));
    expect(e.message).to.match(/AMQP_URL/);
    expect(e.message).to.not.include('hunter2');
  });

  it('rejects a node name a routing key or Kubernetes would not accept', () => {
    expect(configError(() => loadConfig({ env: { NODE_NAME: 'worker 1' } })).message).to.match(/NODE_NAME \(node\.name\)/);
  });
});
