import { expect } from 'chai';
import { loadConfig, MAX_BROKER_URLS, parseBrokerUrls } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/errors/errors.js';

const AMQP = ['amqp:', 'amqps:'];
const CLUSTER = 'amqp://u:pw@10.0.0.1:5672/prod,amqp://u:pw@10.0.0.2:5672/prod, amqp://u:pw@10.0.0.3:5672/prod';

function refusal(env: Record<string, string>): string {
  try {
    loadConfig({ env });
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(Object.keys(env))} to be refused`);
}

describe('broker URL lists (AMQP_URL, AMQP_MANAGEMENT_URL)', () => {
  it('takes one URL as a list of one, and the defaults likewise', () => {
    expect(parseBrokerUrls('amqp://guest:guest@127.0.0.1:5672/', AMQP)).to.deep.equal(['amqp://guest:guest@127.0.0.1:5672/']);
    const c = loadConfig();
    expect(c.amqp.url).to.deep.equal(['amqp://guest:guest@127.0.0.1:5672/']);
    expect(c.amqp.managementUrl).to.deep.equal(['http://guest:guest@127.0.0.1:15672/']);
  });

  it('splits a comma-separated list of one cluster, trimming each entry and keeping the order', () => {
    expect(loadConfig({ env: { AMQP_URL: CLUSTER } }).amqp.url).to.deep.equal(CLUSTER.split(',').map((u) => u.trim()));
  });

  it('takes a YAML sequence of strings too', () => {
    expect(parseBrokerUrls(['http://a:b@h1:15672/', 'http://a:b@h2:15672/'], ['http:'])).to.deep.equal(['http://a:b@h1:15672/', 'http://a:b@h2:15672/']);
    expect(parseBrokerUrls([1, 'amqp://h/'], AMQP)).to.match(/list of strings/);
    expect(parseBrokerUrls({ url: 'amqp://h/' }, AMQP)).to.match(/list of strings/);
  });

  it('refuses empty entries: a stray, leading or trailing comma, or nothing at all', () => {
    expect(parseBrokerUrls('amqp://h1/,,amqp://h2/', AMQP)).to.equal('entry 2 of 3: empty (a stray comma?)');
    expect(parseBrokerUrls('amqp://h1/,', AMQP)).to.equal('entry 2 of 2: empty (a stray comma?)');
    expect(parseBrokerUrls(',amqp://h1/', AMQP)).to.equal('entry 1 of 2: empty (a stray comma?)');
    expect(parseBrokerUrls('   ', AMQP)).to.equal('must not be empty');
    expect(parseBrokerUrls([], AMQP)).to.equal('must not be empty');
  });

  it('refuses malformed entries, naming the entry by position', () => {
    expect(parseBrokerUrls('amqp://h1/,not a url', AMQP)).to.match(/^entry 2 of 2: contains whitespace/);
    expect(parseBrokerUrls('amqp://h1/,h2:5672', AMQP)).to.match(/^entry 2 of 2: expected a amqp: or amqps: URL$/);
    expect(parseBrokerUrls('amqp://h1:99999/', AMQP)).to.match(/^expected a amqp: or amqps: URL \(a comma/);
    expect(parseBrokerUrls('http://h1/', AMQP)).to.equal('expected a amqp: or amqps: URL');
    expect(parseBrokerUrls('amqp:///vhost', AMQP)).to.match(/names no host|expected a amqp/);
    expect(parseBrokerUrls('amqp://h1/#x', AMQP)).to.match(/fragment/);
  });

  it('refuses a list that mixes vhosts, credentials or protocols, or repeats a broker', () => {
    expect(parseBrokerUrls('amqp://u:p@h1/a,amqp://u:p@h2/b', AMQP)).to.match(/^entry 2 of 2: names another vhost/);
    // An empty path and "/" are the same default vhost, as amqplib reads them.
    expect(parseBrokerUrls('amqp://u:p@h1,amqp://u:p@h2/', AMQP)).to.deep.equal(['amqp://u:p@h1', 'amqp://u:p@h2/']);
    expect(parseBrokerUrls('amqp://u:p@h1/%2F,amqp://u:p@h2/', AMQP)).to.match(/another vhost/);
    expect(parseBrokerUrls('amqp://u:p@h1/v,amqp://u:q@h2/v', AMQP)).to.match(/other credentials/);
    expect(parseBrokerUrls('amqp://u:p@h1/v,amqp://w:p@h2/v', AMQP)).to.match(/other credentials/);
    expect(parseBrokerUrls('amqp://h1/,amqps://h2/', AMQP)).to.match(/another protocol/);
    expect(parseBrokerUrls('amqp://h1/,amqp://h2/,amqp://h1/', AMQP)).to.equal('entry 3 of 3: repeats an earlier entry');
  });

  it('refuses hostile values: control characters, newlines, NUL, and an endless list', () => {
    for (const bad of ['amqp://h1/\nX', 'amqp://h1/\r\nX-Injected: 1', 'amqp://h1/v\u0000', 'amqp://h\t1/', 'amqp://h1/\u007f']) {
      expect(parseBrokerUrls(bad, AMQP), JSON.stringify(bad)).to.match(/whitespace or a control character/);
    }
    expect(parseBrokerUrls(Array.from({ length: MAX_BROKER_URLS + 1 }, (_, i) => `amqp://h${i}/`).join(','), AMQP)).to.match(/at most 16/);
    expect(parseBrokerUrls(',', AMQP)).to.match(/empty/);
    expect(parseBrokerUrls('amqp://h1/;rm -rf /', AMQP)).to.match(/whitespace/);
  });

  it('names the key and never echoes a password, not even one a comma split in two', () => {
    const split = refusal({ AMQP_URL: 'amqp://u:hun,ter2@h1/v' });
    expect(split).to.match(/^AMQP_URL \(amqp\.url\): entry 1 of 2: expected a amqp: or amqps: URL/);
    expect(split).to.match(/%2C/);
    expect(split).to.not.match(/hun|ter2/);
    const mixed = refusal({ AMQP_URL: 'amqp://u:secret1@h1/v,amqp://u:secret2@h2/v' });
    expect(mixed).to.not.match(/secret/);
    const mgmt = refusal({ AMQP_MANAGEMENT_URL: 'http://a:s3cret@h1:15672/,amqp://a:s3cret@h2:15672/' });
    expect(mgmt).to.match(/^AMQP_MANAGEMENT_URL \(amqp\.managementUrl\): entry 2 of 2: expected a http: or https: URL/);
    expect(mgmt).to.not.include('s3cret');
  });
});
