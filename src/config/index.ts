export { loadConfig, readConfigFile, type LoadOptions } from './load.js';
export { ConfigSchema, type Config } from './schema.js';
export { KEYS, DEFAULT_APPLY_COMMAND, type KeySpec } from './keys.js';
export { parseDuration } from './duration.js';
export { parseArgv } from './argv.js';
export { parseBrokerUrls, MAX_BROKER_URLS } from './broker-urls.js';
