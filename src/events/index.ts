export * from './types.js';
export { buildEvent, eventId, contentDigest, type BuildOptions } from './build.js';
export { parseEvent, validateEvent, checkInterfaceData, checkDataSchema, dataProblems, interfaceEventSchema, type DataProblem, type ParseOptions } from './validate.js';
export { parseSubnet, checkAddress, normalizeMac, macFromText, isInvalid, type Subnet, type Invalid } from './network.js';
export { amqpPropertiesFor, Header } from './amqp-properties.js';
