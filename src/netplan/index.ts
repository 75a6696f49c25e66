/** Netplan rendering, stable names, owned files and validation: the pure-ish layer under src/host. */
export { OWNED_MARKER, META_PREFIX, INTERFACE_NAME, fileNameFor, renderInterface, metaJson } from './render.js';
export { isOwnedFileName, parseOwnedFile, readOwnedFiles, readAllYaml, writeFileAtomic, type OwnedFile } from './owned-files.js';
export { allocateName, NameAllocator, type NamingSnapshot } from './naming.js';
export { validateWithNetplan, describeGenerateFailure, DEFAULT_GENERATE_TIMEOUT_MS, type ValidateOptions, type GenerateResult } from './generate.js';
export { checkGenerated } from './check-generated.js';
