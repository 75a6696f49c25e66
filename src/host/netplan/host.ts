import { ManagedHost, type ManagedHostDeps } from '../managed-host.js';
import { createNetplanBackend, type NetplanBackendOptions } from './backend.js';

/** Everything NetplanHost touches, injected so tests run on temp dirs without root. */
export type NetplanHostDeps = ManagedHostDeps & NetplanBackendOptions;

/**
 * The InterfaceHost of a node configured through netplan: the backend-neutral
 * ManagedHost (src/host/managed-host.ts) over the netplan backend. A NetworkManager
 * backend plugs in the same way, beside this one.
 */
export class NetplanHost extends ManagedHost {
  constructor(deps: NetplanHostDeps) {
    super(deps, createNetplanBackend(deps));
  }
}
