/**
 * The network lab's public surface (src/lab/README.md): the tests, the demo and the benchmark
 * import from here, not from the files behind it, so the lab can change inside without
 * breaking them. It lives in src/ (layer "runtime, sandbox, lab" of docs/DESIGN.md) because
 * `multinic demo` runs on it; it imports nothing else of MultiNIC's.
 */
export { Lab, type LabOptions, type NodeSpec } from './lab.js';
export { LabNode, normalMac, type Backend, type PlugSpec, type PluggedNic } from './node.js';
export { LabSwitch, Segment } from './switch.js';
export { LinkMonitor, parseMonitorLine, type MonitorEvent, type EventFilter } from './monitor.js';
export { addrs, links, routes, cidrsOf, type IpAddrInfo, type IpAddrLink, type IpLink, type IpRoute } from './ip.js';
export { LabError, LabUnavailableError, LabCommandError } from './errors.js';
export { listNamespaces, netnsPids, removeLeftovers, removeNamespace, TAG } from './cleanup.js';
export { CLOUD_INIT_NETPLAN, cloudInitKeyfile, type PrimaryNic } from './primary.js';
export { pollUntil, run, type RunOptions, type RunResult } from './run.js';
