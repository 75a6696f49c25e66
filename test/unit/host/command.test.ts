import { expect } from 'chai';
import { HostError, HostTransientError } from '../../../src/errors/errors.js';
import { classify, Verdict } from '../../../src/errors/classify.js';
import { CommandFailedError, runCommand } from '../../../src/host/command.js';
import { createRingLogger } from '../../../src/log/logger.js';
import { execFileSync } from 'node:child_process';

const { log } = createRingLogger();

async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: Error) => e,
  );
}

/** Pids whose full command line is exactly `cmd` (pgrep exits 1 when there are none). */
function running(cmd: string): string {
  try {
    return execFileSync('pgrep', ['-f', `^${cmd}$`], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

describe('host/command runCommand', () => {
  it('returns stdout of a successful command, with no shell in between', async () => {
    const { stdout } = await runCommand(['echo', 'a;b', '$(x)'], { timeoutMs: 5000, log });
    expect(stdout).to.equal('a;b $(x)\n');
  });

  it('kills a hanging command on timeout and throws HostTransientError', async () => {
    const err = await failure(runCommand(['sleep', '30'], { timeoutMs: 200, log }));
    expect(err).to.be.instanceOf(HostTransientError);
    expect(classify(err)).to.equal(Verdict.Retry);
    expect(running('sleep 30')).to.equal('');
  }).timeout(5000);

  it('kills what the command spawned too, escalating to SIGKILL when SIGTERM is ignored', async () => {
    const script = "trap '' TERM; sleep 31 & echo $! ; wait";
    const p = runCommand(['sh', '-c', script], { timeoutMs: 300, killGraceMs: 200, log });
    const err = await failure(p);
    expect(err).to.be.instanceOf(HostTransientError);
    expect(running('sleep 31')).to.equal('');
  }).timeout(5000);

  it('throws CommandFailedError with the exit code and the last stderr lines', async () => {
    const err = await failure(runCommand(['sh', '-c', 'for i in 1 2 3 4 5 6 7; do echo line$i >&2; done; exit 3'], { timeoutMs: 5000, log }));
    expect(err).to.be.instanceOf(CommandFailedError).and.instanceOf(HostError);
    expect((err as CommandFailedError).exitCode).to.equal(3);
    expect((err as CommandFailedError).stderrTail).to.equal('line3\nline4\nline5\nline6\nline7');
    expect(err.message).to.contain('line7').and.not.contain('line2');
    expect(classify(err)).to.equal(Verdict.DeadLetter);
  });

  it('reports a missing binary as a failure, not a hang', async () => {
    const err = await failure(runCommand(['/nonexistent/multinic-apply'], { timeoutMs: 5000, log }));
    expect(err).to.be.instanceOf(CommandFailedError);
    expect(err.message).to.contain('ENOENT');
  });

});
