import type { Command } from 'commander';
import { globalOptions } from '../global-options.js';

/** Sequelize and the configuration loader, loaded only when a db subcommand runs. */
const load = () => Promise.all([import('../../db/index.js'), import('../context.js')]);

/** `multinic db migrate` and `multinic db seed`. */
export function registerDb(program: Command): void {
  const db = program.command('db').description('database schema and sample data');

  db.command('migrate')
    .description('create or upgrade the schema (never drops or rewrites OpenStack rows); creates DB_NAME when missing')
    .action(async (_opts, cmd: Command) => {
      const [{ createSequelize, migrate, createDatabaseIfMissing }, { createContext }] = await load();
      const { config, log } = createContext('multinic-db', globalOptions(cmd));
      if (await createDatabaseIfMissing(config.db)) log.info({ database: config.db.name }, 'database created');
      const sequelize = createSequelize(config.db);
      try {
        const applied = await migrate(sequelize, log);
        log.info({ database: config.db.name, applied }, applied.length ? 'schema migrated' : 'schema already up to date');
      } finally {
        await sequelize.close();
      }
    });

  db.command('seed')
    .description('load two worker nodes with applied and pending interfaces (IPv4, IPv6, MTU 9000, DHCP); refuses a database in use')
    .option('--force', 'on a database that holds other rows too, add the sample rows that are missing (existing rows are never changed)')
    .action(async (opts: { force?: boolean }, cmd: Command) => {
      const [{ createSequelize, seed, SeedRefusedError }, { createContext, ExitCode }] = await load();
      const { config, log } = createContext('multinic-db', globalOptions(cmd));
      const sequelize = createSequelize(config.db);
      try {
        const { inserted, kept } = await seed(sequelize, new Date(), { force: opts.force === true });
        log.info({ database: config.db.name, inserted, kept }, 'seed loaded (missing sample rows inserted; existing rows left as they were)');
      } catch (err) {
        if (!(err instanceof SeedRefusedError)) throw err;
        process.stderr.write(`multinic db seed: ${err.message}\n`);
        process.exitCode = ExitCode.Usage;
      } finally {
        await sequelize.close();
      }
    });
}
