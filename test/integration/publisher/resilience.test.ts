import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeQueueName } from '../../../src/amqp/topology.js';
import type { InterfaceEvent } from '../../../src/events/types.js';
import { waitFor } from '../../helpers/wait.js';
import { createPublisherEnv, type PublisherEnv } from './env.js';

const Q1 = nodeQueueName('worker-1');
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const body = (m: { content: Buffer }) => JSON.parse(m.content.toString('utf8')) as InterfaceEvent;

describe('publisher resilience (real MariaDB and RabbitMQ)', function () {
  this.timeout(60_000);
  let e: PublisherEnv;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    e = await createPublisherEnv();
    await e.addNode('worker-1');
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await e?.close();
  });

  it('keeps publishing after the broker closes its connection, losing nothing', async () => {
    await e.addInterface('before', 'worker-1');
    const p = e.start();
    await waitFor('the first event', async () => (await e.messageCount(Q1)) === 1);
    // The management API lists a new connection only after its next statistics tick.
    await waitFor('the publisher connection to be closed by the broker', () => e.v.closeConnections((c) => (c.connectionName ?? '').startsWith('multinic-publisher')), { timeoutMs: 15_000, intervalMs: 250 });
    await e.addInterface('after', 'worker-1');
    await waitFor('the event published after the reconnect', async () => (await e.messageCount(Q1)) === 2, { timeoutMs: 20_000 });
    const ids = (await e.take(Q1, 2)).map((m) => body(m).data.portId);
    expect(ids).to.deep.equal(['before', 'after']);
    expect(p.records().some((r) => String(r.msg).startsWith('disconnected from RabbitMQ'))).to.equal(true);
  });

  it('recovers when its database connections are killed: no crash, the new row published exactly once', async () => {
    await e.addInterface('before', 'worker-1');
    const p = e.start();
    await waitFor('the first event', async () => (await e.messageCount(Q1)) === 1);
    expect(await e.t.killConnections()).to.be.greaterThan(0);
    // The test's own pool lost its connections too: its first query may fail once.
    await e.addInterface('after', 'worker-1').catch(() => e.addInterface('after', 'worker-1'));
    await waitFor('the event after the kill', async () => (await e.messageCount(Q1)) >= 2, { timeoutMs: 20_000 });
    await p.trigger.runNow();
    await p.trigger.runNow();
    const events = (await e.take(Q1, await e.messageCount(Q1))).map((m) => body(m).data.portId);
    // The lock was lost with its connection, so the replica that took it back may resend
    // 'before' once (at least once); 'after' must be there, and the process is still polling.
    expect(events).to.include('after');
    expect(events.filter((x) => x === 'after')).to.have.length(1);
    expect(p.records().some((r) => String(r.msg).startsWith('lost leadership'))).to.equal(true);
  });

  it('fails over between two publisher processes: one active, the standby takes over when it is killed', async () => {
    const spawnPublisher = (name: string) => {
      const child = spawn(process.execPath, ['bin/multinic.js', 'publisher'], {
        cwd: ROOT,
        env: { ...process.env, ...e.env, MULTINIC_FROM_SOURCE: '1', LOG_FORMAT: 'json', LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const lines: Array<Record<string, unknown>> = [];
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const parts = buf.split('\n');
        buf = parts.pop()!;
        for (const l of parts) if (l.trim()) lines.push({ ...JSON.parse(l), who: name });
      });
      children.push(child);
      return { child, lines };
    };
    await e.addInterface('one', 'worker-1');
    const a = spawnPublisher('a');
    await waitFor('a to become active', () => a.lines.some((l) => String(l.msg).startsWith('became active')), { timeoutMs: 20_000 });
    const b = spawnPublisher('b');
    await waitFor('b to stand by', () => b.lines.some((l) => String(l.msg).startsWith('standing by')), { timeoutMs: 20_000 });
    await waitFor('the first event', async () => (await e.messageCount(Q1)) === 1);
    await e.addInterface('two', 'worker-1');
    await waitFor('the second event', async () => (await e.messageCount(Q1)) === 2);
    const published = (l: Record<string, unknown>) => String(l.msg).startsWith('published');
    // The broker may count the message before a's log line has crossed its stdout pipe: a
    // SIGKILL in between would lose the line, not the event.
    await waitFor('a to log the second event', () => a.lines.some((l) => published(l) && l.portId === 'two'));
    expect(b.lines.filter(published)).to.have.length(0);

    a.child.kill('SIGKILL');
    await waitFor('b to take over', () => b.lines.some((l) => String(l.msg).startsWith('became active')), { timeoutMs: 20_000 });
    await e.addInterface('three', 'worker-1');
    await waitFor('b to publish the new row', () => b.lines.some((l) => published(l) && l.portId === 'three'), { timeoutMs: 20_000 });
    const byA = a.lines.filter(published).map((l) => `${l.portId}@${l.generation}`);
    expect(byA.sort()).to.deep.equal(['one@' + a.lines.find((l) => l.portId === 'one')!.generation, 'two@' + a.lines.find((l) => l.portId === 'two')!.generation].sort());

    b.child.kill('SIGTERM');
    const code = await new Promise((r) => b.child.on('exit', (c) => r(c)));
    expect(code).to.equal(0);
    expect(b.lines.some((l) => l.msg === 'publisher stopped')).to.equal(true);
  });
});
