import { buildProgram } from './program.js';

buildProgram()
  .parseAsync(process.argv)
  // The configuration loader is imported only now, so a fast command never pays for it.
  .catch(async (err: unknown) => (await import('./context.js')).reportFatal(err));
