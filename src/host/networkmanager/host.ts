import { ManagedHost, type ManagedHostDeps } from '../managed-host.js';
import { createNetworkManagerBackend, type NetworkManagerBackendOptions } from './backend.js';

/** Everything NetworkManagerHost touches, injected so tests run in a lab node or on temp dirs. */
export type NetworkManagerHostDeps = ManagedHostDeps & Omit<NetworkManagerBackendOptions, 'log'>;

/**
 * The InterfaceHost of a node whose interfaces NetworkManager owns (RHEL, Rocky, Alma):
 * the backend-neutral ManagedHost (src/host/managed-host.ts: NIC lookup, names, lock,
 * backups, transaction with rollback) over the NetworkManager backend.
 */
export class NetworkManagerHost extends ManagedHost {
  constructor(deps: NetworkManagerHostDeps) {
    super(deps, createNetworkManagerBackend({ ...deps, log: deps.log }));
  }
}
