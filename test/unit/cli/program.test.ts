import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { buildProgram } from '../../../src/cli/program.js';
import { globalOptions } from '../../../src/cli/global-options.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The program with every leaf command's action replaced by one that records what it saw; output and exits captured. */
function program() {
  const seen: Array<{ command: string; globals: Record<string, unknown> }> = [];
  let out = '';
  let err = '';
  const p = buildProgram();
  const walk = (cmd: Command, path: string[]) => {
    cmd.exitOverride().configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (err += s) });
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
    if (cmd.commands.length === 0 && path.length) cmd.action((_o, c: Command) => void seen.push({ command: path.join(' '), globals: { ...globalOptions(c) } }));
  };
  walk(p, []);
  const parse = async (...args: string[]) => {
    try {
      await p.parseAsync(['node', 'multinic', ...args]);
      return 0;
    } catch (e) {
      return (e as { exitCode?: number }).exitCode ?? -1;
    }
  };
  return { parse, seen, out: () => out, err: () => err };
}

describe('multinic command line: global options and --version', () => {
  for (const [where, args] of [
    ['before the command (as the DaemonSet writes it)', ['--config', '/etc/multinic/agent.yaml', 'agent']],
    ['after the command', ['agent', '--config', '/etc/multinic/agent.yaml']],
    ['short form after the command', ['agent', '-c', '/etc/multinic/agent.yaml']],
  ] as const) {
    it(`takes --config ${where}`, async () => {
      const r = program();
      expect(await r.parse(...args), r.err()).to.equal(0);
      expect(r.seen).to.deep.equal([{ command: 'agent', globals: { config: '/etc/multinic/agent.yaml' } }]);
    });
  }

  it('takes the global options at every level of a nested command, the innermost winning', async () => {
    for (const args of [['db', 'migrate', '--log-level', 'debug'], ['db', '--log-level', 'debug', 'migrate'], ['--log-level', 'debug', 'db', 'migrate']]) {
      const r = program();
      expect(await r.parse(...args), `${args.join(' ')}: ${r.err()}`).to.equal(0);
      expect(r.seen[0]!.globals.logLevel, args.join(' ')).to.equal('debug');
    }
    const r = program();
    await r.parse('--config', 'outer.yaml', 'status', '--config', 'inner.yaml', '--log-format', 'text');
    expect(r.seen[0]!.globals).to.include({ config: 'inner.yaml', logFormat: 'text' });
  });

  it('prints the package version for --version and -V, exit 0', async () => {
    for (const flag of ['--version', '-V']) {
      const r = program();
      expect(await r.parse(flag)).to.equal(0);
      expect(r.out().trim()).to.equal(VERSION);
    }
  });

  for (const [what, args, message] of [
    ['--config without a file', ['agent', '--config'], /option '-c, --config <file>' argument missing/],
    ['an unknown log level after the command', ['status', '--log-level', 'loud'], /Allowed choices are trace, debug, info, warn, error, fatal/],
    ['an unknown option', ['agent', '--i-am-a-node'], /unknown option '--i-am-a-node'/],
    ['an unknown command', ['agnet'], /unknown command 'agnet'/],
  ] as const) {
    it(`refuses ${what} with a usage error and runs nothing`, async () => {
      const r = program();
      expect(await r.parse(...args)).to.not.equal(0);
      expect(r.err()).to.match(message);
      expect(r.seen).to.deep.equal([]);
    });
  }
});
