export * from './types.js';
export { buildEvent, eventId, contentDigest, type BuildOptions } from './build.js';
export { parseEvent, validateEvent, checkInterfaceData, interfaceEventSchema, type ParseOptions } from './validate.js';
export { parseSubnet, checkAddress, normalizeMac, isInvalid, type Subnet, type Invalid } from './network.js';
export { amqpPropertiesFor, Header } from './amqp-properties.js';
