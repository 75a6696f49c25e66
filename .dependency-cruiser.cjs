/**
 * The layer map of docs/DESIGN.md, enforced by dependency-cruiser in `npm test`
 * (`npm run lint:layers`). A folder may import its own layer and the layers below it,
 * never one above; no import cycles; the client SDKs only from adapter folders; the
 * agent's handler and the publisher's poll reach no SDK, not even through a module of ours.
 * Type-only imports count: they are couplings too.
 */
const LAYERS = [
  ['errors', 'lib'],
  ['log', 'config'],
  ['events'],
  ['model'],
  ['db', 'amqp', 'kube', 'http', 'host'],
  ['runtime', 'sandbox', 'lab'],
  ['agent', 'publisher', 'status'],
  ['roots', 'demo'],
  ['cli'],
];
const SDKS = ['amqplib', 'amqp-connection-manager', 'sequelize', 'mysql2', '@kubernetes/client-node', 'prom-client'];
/** Folders that talk to an outside system through its SDK; roots and the demo build clients. */
const ADAPTERS = ['db', 'amqp', 'kube', 'http', 'runtime', 'sandbox', 'roots', 'demo'];

const folders = (names) => `^src/(${names.join('|')})/`;
const sdk = `(^|/)node_modules/(${SDKS.map((s) => s.replace('/', '\\/')).join('|')})/`;

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `no-upward-from-${layer.join('-')}`,
  comment: `${layer.join(', ')} may import only ${LAYERS.slice(0, i + 1).flat().join(', ')} (docs/DESIGN.md, layer map)`,
  severity: 'error',
  from: { path: folders(layer) },
  to: { path: folders(LAYERS.slice(i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'folder-in-layer-map',
      comment: 'every folder of src has a place in the layer map (docs/DESIGN.md); add a new one there first',
      severity: 'error',
      from: { path: '^src/', pathNot: folders(LAYERS.flat()) },
      to: {},
    },
    {
      name: 'no-cycles',
      comment: 'an import cycle makes the layers meaningless and the start-up order fragile',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'sdk-only-in-adapters',
      comment: `${SDKS.join(', ')} are imported only from ${ADAPTERS.join(', ')} (STYLE 2: ports are interfaces we own)`,
      severity: 'error',
      from: { path: '^src/', pathNot: folders(ADAPTERS) },
      to: { path: sdk },
    },
    {
      name: 'handler-and-poll-reach-no-sdk',
      comment: 'the handler and the poll are functions of (input, ports): no SDK directly or through a module of ours',
      severity: 'error',
      from: { path: '^src/(agent/handler|publisher/poll)\\.ts$' },
      to: { path: sdk, reachable: true },
    },
    {
      name: 'host-core-knows-no-backend',
      comment: 'src/host is backend-neutral; netplan (and, next, NetworkManager) plug in through HostBackend from their own subfolders',
      severity: 'error',
      from: { path: '^src/host/[^/]+$' },
      to: { path: '^src/host/[^/]+/' },
    },
    {
      name: 'lab-imports-nothing-of-ours',
      comment: 'the network lab (src/lab) simulates nodes; it must not lean on the code it is used to judge',
      severity: 'error',
      from: { path: '^src/lab/' },
      to: { path: '^src/(?!lab/)' },
    },
    {
      name: 'src-imports-no-tests-or-scripts',
      comment: 'production code never imports tests or scripts',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|scripts)/' },
    },
    {
      name: 'scripts-import-no-test-helpers',
      comment: 'the bench shares builders through src/sandbox, not test/helpers',
      severity: 'error',
      from: { path: '^scripts/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] },
  },
};
