import { Command, Option } from 'commander';
import { registerAgent } from './commands/agent.js';
import { registerDb } from './commands/db.js';
import { registerDemo } from './commands/demo.js';
import { registerPublish } from './commands/publish-command.js';
import { registerSandboxApply } from './commands/sandbox-apply.js';
import { registerPublisher } from './commands/publisher.js';
import { registerStatus } from './commands/status.js';

/** Builds the `multinic` command tree; exported so tests can drive it without a process. */
export function buildProgram(): Command {
  const program = new Command('multinic')
    .description('MultiNIC: configure the secondary NICs OpenStack attaches to Kubernetes nodes')
    .option('-c, --config <file>', 'YAML configuration file (environment variables win over it)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal']))
    .addOption(new Option('--log-format <format>', 'log format').choices(['json', 'text']))
    .showHelpAfterError()
    .enablePositionalOptions();
  registerDb(program);
  registerDemo(program);
  registerAgent(program);
  registerPublish(program);
  registerSandboxApply(program);
  registerPublisher(program);
  registerStatus(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  // The configuration loader is imported only now, so a fast command never pays for it.
  .catch(async (err: unknown) => (await import('./context.js')).reportFatal(err));
