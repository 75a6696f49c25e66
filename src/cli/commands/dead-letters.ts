import { Option, type Command } from 'commander';
import { globalOptions } from '../global-options.js';
import type { DeadLetterAction, DeadLetterFlags } from './dead-letters-run.js';

const DESCRIPTION: Record<DeadLetterAction, string> = {
  list: 'show the dead letters (node, port, type, who dead-lettered it and why); nothing is changed',
  replay: 'publish the matching dead letters to multinic.events again, each under its original routing key, and remove them from multinic.dead (asks, or --yes)',
  purge: 'delete the matching dead letters for good (asks, or --yes)',
};

/**
 * `multinic dead-letters list|replay|purge [--node N] [--reason TEXT] [--id EVENT_ID]
 * [--limit 100] [-o text|wide|json] [--yes]`: read, replay or purge multinic.dead over AMQP
 * (AMQP_URL). Messages are read without being acknowledged, so what is not replayed or
 * purged stays; replay and purge ask on a terminal unless --yes, and refuse (exit 2)
 * without a terminal and without --yes.
 */
export function registerDeadLetters(program: Command): void {
  const group = program.command('dead-letters').description('list, replay or purge the events in multinic.dead');
  for (const action of ['list', 'replay', 'purge'] as const) {
    const cmd = group
      .command(action)
      .description(DESCRIPTION[action])
      .option('--node <name>', 'only dead letters for this node')
      .option('--reason <text>', 'only dead letters whose reason contains this text (any case)')
      .option('--id <event-id>', 'only the dead letter of this event id')
      .option('--limit <n>', 'read at most this many from multinic.dead', '100')
      .addOption(new Option('-o, --output <format>', 'text, wide (event id and routing key too) or json').choices(['text', 'wide', 'json']).default('text'));
    if (action !== 'list') cmd.option('--yes', `${action} without asking`);
    cmd.action(async (flags: DeadLetterFlags, c: Command) => {
      const [{ runDeadLetters, openDeadLetterSession }, { createContext, ExitCode }] = await Promise.all([import('./dead-letters-run.js'), import('../context.js')]);
      if (!/^\d{1,5}$/.test(flags.limit) || Number(flags.limit) < 1) {
        process.stderr.write(`multinic dead-letters: --limit must be an integer from 1 to 99999, got ${JSON.stringify(flags.limit)}\n`);
        process.exitCode = ExitCode.Usage;
        return;
      }
      const { config } = createContext('multinic-dead-letters', globalOptions(c));
      const session = await openDeadLetterSession(config.amqp.url);
      try {
        const confirm = process.stdin.isTTY
          ? async (question: string) => {
              const { createInterface } = await import('node:readline/promises');
              const rl = createInterface({ input: process.stdin, output: process.stderr });
              try {
                return (await rl.question(question)).trim().toLowerCase() === 'yes';
              } finally {
                rl.close();
              }
            }
          : undefined;
        process.exitCode = await runDeadLetters(action, flags, { session, io: { out: process.stdout, err: process.stderr }, confirm });
      } finally {
        await session.close();
      }
    });
  }
}
