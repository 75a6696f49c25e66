/**
 * The network lab's public surface (test/lab/README.md): import from here, not from the files
 * behind it, so the lab can change inside without breaking the tests, demo and benchmark that use it.
 */
export { Lab, type LabOptions, type NodeSpec } from './lab.js';
export { LabNode, type Backend, type PlugSpec, type PluggedNic } from './node.js';
export { LabSwitch, Segment } from './switch.js';
export { LinkMonitor, type MonitorEvent, type EventFilter } from './monitor.js';
export { cidrsOf, type IpAddrInfo, type IpAddrLink, type IpLink, type IpRoute } from './ip.js';
export { LabError, LabUnavailableError, LabCommandError } from './errors.js';
export { removeLeftovers } from './cleanup.js';
export { CLOUD_INIT_NETPLAN, cloudInitKeyfile, type PrimaryNic } from './primary.js';
export * from './multinic-file.js';
