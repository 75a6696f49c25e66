/**
 * Every configuration key: its place in the YAML file, its environment variable, and
 * its default. This table is the single source for the loader, the error messages and
 * the README's configuration reference.
 */
export interface KeySpec {
  /** Dotted path in the YAML file, e.g. `db.host`. */
  readonly path: string;
  /** Environment variable that overrides it. */
  readonly env: string;
  /** Default as it would be written in YAML; undefined means "no default". */
  readonly default?: string | number | boolean | readonly string[];
  /** One line for the README and `--help`. */
  readonly doc: string;
  /** Never logged or echoed in an error message. */
  readonly secret?: boolean;
  /** An empty environment value is meaningful (set, not unset), e.g. an empty password. */
  readonly emptyAllowed?: boolean;
}

/** The nsenter-into-PID-1 `netplan apply` a DaemonSet pod runs on its host. */
export const DEFAULT_APPLY_COMMAND = [
  'nsenter', '--target', '1', '--mount', '--uts', '--ipc', '--net', '--pid', '--', 'netplan', 'apply',
] as const;

/** `ip` in the host's network namespace, as the DaemonSet pod (hostPID) reaches it; IP_COMMAND (the probes' `ping` runs behind the same nsenter). */
export const DEFAULT_IP_COMMAND = ['nsenter', '--target', '1', '--net', '--', 'ip'] as const;

/** `networkctl` in the host's namespaces (it talks to systemd-networkd over the host's D-Bus); NETWORKCTL_COMMAND. */
export const DEFAULT_NETWORKCTL_COMMAND = ['nsenter', '--target', '1', '--mount', '--net', '--', 'networkctl'] as const;

/** `nmcli` in the host's namespaces, as a DaemonSet pod runs it (mount for the host's binary and D-Bus socket). */
export const DEFAULT_NMCLI_COMMAND = [
  'nsenter', '--target', '1', '--mount', '--uts', '--ipc', '--net', '--pid', '--', 'nmcli',
] as const;

export const KEYS: readonly KeySpec[] = [
  { path: 'db.host', env: 'DB_HOST', default: '127.0.0.1', doc: 'MySQL/MariaDB host.' },
  { path: 'db.port', env: 'DB_PORT', default: 3306, doc: 'MySQL/MariaDB port.' },
  { path: 'db.socketPath', env: 'DB_SOCKET', doc: 'Unix socket instead of host/port (optional).' },
  { path: 'db.user', env: 'DB_USER', default: 'multinic', doc: 'Database user.' },
  { path: 'db.password', env: 'DB_PASSWORD', default: '', doc: 'Database password.', secret: true, emptyAllowed: true },
  { path: 'db.name', env: 'DB_NAME', default: 'multinic_db', doc: 'Database name.' },
  { path: 'amqp.url', env: 'AMQP_URL', default: 'amqp://guest:guest@127.0.0.1:5672/', doc: 'RabbitMQ URL, or the URLs of several brokers of one cluster separated by commas (same vhost and credentials); clients fail over between them. Credentials are redacted in logs.', secret: true },
  { path: 'amqp.managementUrl', env: 'AMQP_MANAGEMENT_URL', default: 'http://guest:guest@127.0.0.1:15672/', doc: 'RabbitMQ management API, used by `status` and the tests; several of one cluster separated by commas, tried in turn.', secret: true },
  { path: 'amqp.declareExchanges', env: 'AMQP_DECLARE_EXCHANGES', default: true, doc: 'Agent: declare the shared exchanges on connect. Set false with a per-node RabbitMQ user (no configure right on them): the agent then only checks they exist (the publisher declares them) and declares and binds its own queue.' },
  { path: 'amqp.maxMessageBytes', env: 'AMQP_MAX_MESSAGE_BYTES', default: 65536, doc: 'Largest event body accepted or published.' },
  { path: 'node.name', env: 'NODE_NAME', doc: 'Kubernetes name of the node this agent runs on (agent only).' },
  { path: 'node.dbName', env: 'NODE_DB_NAME', doc: "The node's attached_node_name in the database when it differs from NODE_NAME (e.g. worker-1.novalocal); by default looked up in node_table." },
  { path: 'netplan.dir', env: 'NETPLAN_DIR', default: '/etc/netplan', doc: 'Where netplan files are written.' },
  { path: 'netplan.backupDir', env: 'NETPLAN_BACKUP_DIR', default: '/var/backups/netplan', doc: 'Where the owned files are backed up before each change.' },
  { path: 'netplan.backupKeep', env: 'NETPLAN_BACKUP_KEEP', default: 20, doc: 'How many backups are kept (oldest removed first).' },
  { path: 'netplan.applyCommand', env: 'NETPLAN_APPLY_COMMAND', default: DEFAULT_APPLY_COMMAND, doc: 'argv run to apply netplan; never run through a shell (whitespace-split, or a JSON array when it starts with `[`).' },
  { path: 'netplan.applyMethod', env: 'NETPLAN_APPLY_METHOD', default: 'targeted', doc: '`targeted`: regenerate into a scratch root, copy only the changed systemd-networkd files into NETWORKD_RUN_DIR, rename the NIC with `ip link`, `networkctl reload` (needs systemd ≥ 244), so no other link is reconfigured; falls back to NETPLAN_APPLY_COMMAND when a step fails. `apply`: always NETPLAN_APPLY_COMMAND (`netplan apply` reconfigures every networkd link).' },
  { path: 'netplan.networkdRunDir', env: 'NETWORKD_RUN_DIR', default: '/run/systemd/network', doc: 'Where `netplan generate` puts systemd-networkd files on the host, as the agent sees it (targeted apply).' },
  { path: 'netplan.networkctlCommand', env: 'NETWORKCTL_COMMAND', default: DEFAULT_NETWORKCTL_COMMAND, doc: 'argv prefix running `networkctl` in the host\'s namespaces: the targeted apply\'s reload, and after every apply (both methods) `networkctl list --json=short`, so the kernel is judged only once systemd-networkd is done with the changed links; never run through a shell. Empty, or a networkctl that cannot answer: the kernel alone judges.' },
  { path: 'netplan.applyTimeout', env: 'NETPLAN_APPLY_TIMEOUT', default: '60s', doc: 'An apply that takes longer is killed and rolled back.' },
  { path: 'netplan.generateCommand', env: 'NETPLAN_GENERATE_COMMAND', default: 'netplan', doc: 'netplan binary used for `netplan generate --root-dir` validation; empty string skips validation (not recommended).', emptyAllowed: true },
  { path: 'host.ipCommand', env: 'IP_COMMAND', default: DEFAULT_IP_COMMAND, emptyAllowed: true, doc: 'argv running iproute2\'s `ip` in the host\'s network namespace, its last word the `ip` binary: the kernel state read for the overlap refusal, before and after each apply (verification, stale addresses deleted, the NIC renamed to multinicN by the targeted netplan apply and the NetworkManager backend) and by the probes; the words before `ip` enter that namespace, and the probes run `ping` and their TCP connect behind them too (`["ip"]`: the agent\'s own namespace, enough with `hostNetwork`). Never run through a shell. Empty: no kernel to read (sandbox only: only the NIC\'s name is verified, no overlap refusal, no probes; the NetworkManager backend refuses to start).' },
  { path: 'networkManager.connectionsDir', env: 'NM_CONNECTIONS_DIR', default: '/etc/NetworkManager/system-connections', doc: 'Where NetworkManager keyfiles are written (the NetworkManager backend).' },
  { path: 'networkManager.backupDir', env: 'NM_BACKUP_DIR', default: '/var/backups/multinic-networkmanager', doc: 'Where the owned keyfiles are backed up before each change (kept as many as NETPLAN_BACKUP_KEEP).' },
  { path: 'networkManager.ifcfgDir', env: 'NM_IFCFG_DIR', default: '/etc/sysconfig/network-scripts', doc: 'ifcfg files read for other profiles claiming a NIC (RHEL-family initscripts format).' },
  { path: 'networkManager.linkDir', env: 'NM_LINK_DIR', default: '/etc/systemd/network', doc: 'Where the systemd `.link` files that keep the multinicN names across reboots and re-plugs are written; empty writes none.', emptyAllowed: true },
  { path: 'networkManager.nmcliCommand', env: 'NMCLI_COMMAND', default: DEFAULT_NMCLI_COMMAND, doc: 'argv prefix running `nmcli` in the host\'s namespaces; never run through a shell (whitespace-split, or a JSON array when it starts with `[`).' },
  { path: 'networkManager.applyTimeout', env: 'NM_APPLY_TIMEOUT', default: '30s', doc: 'Each `nmcli` / `ip` step of an apply that takes longer is killed and the change rolled back.' },
  { path: 'sysfsNetDir', env: 'SYSFS_NET_DIR', default: '/sys/class/net', doc: 'Where NICs are looked up by MAC.' },
  { path: 'kube.kubeconfig', env: 'KUBECONFIG', doc: 'kubeconfig file; in-cluster config when unset.' },
  { path: 'kube.mode', env: 'KUBE_MODE', default: 'api', doc: '`api` patches the Node; `log` only logs the patch it would send (no cluster).' },
  { path: 'kube.timeout', env: 'KUBE_TIMEOUT', default: '10s', doc: 'A Kubernetes API request that takes longer is abandoned and retried later.' },
  { path: 'log.level', env: 'LOG_LEVEL', default: 'info', doc: 'trace, debug, info, warn, error or fatal.' },
  { path: 'log.format', env: 'LOG_FORMAT', default: 'json', doc: '`json` (bunyan) or `text` (one readable line per record).' },
  { path: 'http.port', env: 'HTTP_PORT', default: 8080, doc: 'Health (/healthz, /readyz) and /metrics; 0 picks a free port.' },
  { path: 'http.host', env: 'HTTP_HOST', default: '127.0.0.1', doc: 'Address health and metrics listen on. The deployments pass the pod IP (downward API `status.podIP`): with `hostNetwork` that is the node\'s address, so the tenant NICs MultiNIC configures never expose them; `0.0.0.0` means every interface.' },
  { path: 'publisher.pollInterval', env: 'PUBLISHER_POLL_INTERVAL', default: '250ms', doc: 'How often the publisher queries for pending rows (one indexed query, whatever the node count).' },
  { path: 'publisher.resendAfter', env: 'PUBLISHER_RESEND_AFTER', default: '60s', doc: 'A row still pending this long after its event is published again, if its node queue then holds no message (the broker may have lost it); otherwise it is looked at again after the same time.' },
  { path: 'publisher.batchSize', env: 'PUBLISHER_BATCH_SIZE', default: 5000, doc: 'Most rows read per poll.' },
  { path: 'publisher.lockName', env: 'PUBLISHER_LOCK_NAME', doc: 'MySQL named lock held by the active publisher replica; by default `multinic-publisher:<DB_NAME>`, one per database (a named lock is server-wide).' },
  { path: 'publisher.brokerGrace', env: 'PUBLISHER_BROKER_GRACE', default: '30s', doc: 'An active publisher that cannot reach RabbitMQ this long gives up the lock, so a replica that can takes over; it takes the lock again only while connected.' },
  { path: 'publisher.nodeRefresh', env: 'PUBLISHER_NODE_REFRESH', default: '30s', doc: 'How often node queues are declared for new node_table rows.' },
  { path: 'agent.backend', env: 'AGENT_BACKEND', default: 'auto', doc: '`netplan`, `networkmanager`, or `auto`: netplan when NETPLAN_DIR holds any *.yaml, else NetworkManager when `nmcli` says it is running.' },
  { path: 'agent.resyncInterval', env: 'AGENT_RESYNC_INTERVAL', default: '5m', doc: 'Full reconcile of the node with the database (also at start-up).' },
  { path: 'agent.nicWait', env: 'AGENT_NIC_WAIT', default: '30s', doc: 'How long to wait for a hot-plugged NIC to appear.' },
  { path: 'agent.verifyTimeout', env: 'AGENT_VERIFY_TIMEOUT', default: '10s', doc: 'How long after an apply systemd-networkd may take to finish the changed links (NETWORKCTL_COMMAND) and the kernel to show the change (name, addresses incl. IPv6 still in DAD, MTU, link up, other routes unchanged) before it is rolled back.' },
  { path: 'agent.allowTakeover', env: 'AGENT_ALLOW_TAKEOVER', default: false, doc: 'Allow configuring a NIC that is up with addresses MultiNIC did not configure.' },
  { path: 'agent.allowOverlap', env: 'AGENT_ALLOW_OVERLAP', default: false, doc: 'Allow a port whose subnet overlaps an address or route of an interface MultiNIC does not own, another MultiNIC subnet, the default gateway or the API server (off: refused with a permanent reason naming both). Even with it, the kernel verification after apply still rolls back a port whose connected route takes traffic of an existing route.' },
  { path: 'agent.probes', env: 'AGENT_PROBES', default: 'gateway,api-server,routes', doc: 'Probes run before each apply and required again after it (comma-separated; empty for none): `gateway` (each default gateway answers ping), `api-server` (TCP connect to the Kubernetes API server: KUBERNETES_SERVICE_HOST/PORT in a pod, else the kubeconfig server), `routes` (other interfaces\' routes unchanged).', emptyAllowed: true },
  { path: 'agent.probeTimeout', env: 'AGENT_PROBE_TIMEOUT', default: '5s', doc: 'After an apply, every probe that passed before it must pass again within this time, else the previous configuration is restored and applied.' },
  { path: 'agent.maxRetries', env: 'AGENT_MAX_RETRIES', default: 5, doc: 'In-process retries (with backoff) of a transient failure before the message is requeued.' },
  { path: 'agent.batchSize', env: 'AGENT_BATCH_SIZE', default: 32, doc: 'Events of the node queue handled together (also the prefetch): one validation, one apply, one Node patch for all; each event still settled on its own. 1 = one at a time.' },
  { path: 'agent.batchLinger', env: 'AGENT_BATCH_LINGER', default: '5ms', doc: 'How long a batch that is not full waits for more events already on their way before it starts.' },
];
