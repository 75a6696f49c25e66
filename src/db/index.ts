export { createSequelize } from './connection.js';
export { initModels, generationOf, PortOutcome, type Models } from './models.js';
export { migrate, MIGRATIONS, MIGRATION_TABLE } from './migrations.js';
export { seed, SEED, SeedRefusedError, type SeedResult } from './seed.js';
export { createDatabaseIfMissing } from './create-database.js';
export { readPortInterfaceRow } from './interface-row.js';
