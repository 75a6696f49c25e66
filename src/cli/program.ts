import { Command, Option } from 'commander';
import { packageVersion } from '../lib/version.js';
import { registerAgent } from './commands/agent.js';
import { registerDb } from './commands/db.js';
import { registerDeadLetters } from './commands/dead-letters.js';
import { registerDemo } from './commands/demo.js';
import { registerPublish } from './commands/publish-command.js';
import { registerSandboxApply } from './commands/sandbox-apply.js';
import { registerPublisher } from './commands/publisher.js';
import { registerStatus } from './commands/status.js';

/** The options every command takes, before or after its name (`multinic --config F agent` = `multinic agent --config F`). */
function addGlobalOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'YAML configuration file (environment variables win over it)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal']))
    .addOption(new Option('--log-format <format>', 'log format').choices(['json', 'text']));
}

/** Gives every command of the tree the global options, so they may follow the command's name too. */
function everywhere(cmd: Command): void {
  for (const sub of cmd.commands) {
    addGlobalOptions(sub);
    everywhere(sub);
  }
}

/**
 * Builds the `multinic` command tree; exported so tests can parse without a process.
 * The global options are the program's (before the command, as the DaemonSet writes
 * `multinic --config F agent`) and each command's (after it): with positional options,
 * each level parses its own, and `optsWithGlobals()` merges them, the command's winning.
 */
export function buildProgram(): Command {
  const program = addGlobalOptions(
    new Command('multinic')
      .description('MultiNIC: configure the secondary NICs OpenStack attaches to Kubernetes nodes')
      .version(packageVersion(), '-V, --version', 'print the version and exit'),
  )
    .showHelpAfterError()
    .enablePositionalOptions()
    // Bad usage (unknown option or command, missing or disallowed value) exits 2 like a bad
    // configuration (ExitCode.Usage), not commander's 1, which means "it ran and failed".
    // Set before the commands are added, so every command inherits it.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  registerDb(program);
  registerDemo(program);
  registerAgent(program);
  registerPublish(program);
  registerDeadLetters(program);
  registerSandboxApply(program);
  registerPublisher(program);
  registerStatus(program);
  everywhere(program);
  return program;
}
