/**
 * The architecture's boundaries (README, Layout), checked by `npm run lint`:
 * - the core (src/core) imports no framework and nothing of the profiles;
 * - Profile B (src/baseline) imports only the core, ws and node;
 * - Profile A's feature folders reach each other only through their index.ts;
 * - Express and Fastify are used in src/platform/ only, one file each, each loaded alone;
 * - bench/, tools/ and test/ reach the core only through src/core/index.ts;
 * - no import cycle anywhere.
 */
/** Packages a framework-free module must not import. */
const FRAMEWORK =
  '^node_modules/(@nestjs/|class-validator/|class-transformer/|@opentelemetry/|prom-client/|express/|rxjs/|reflect-metadata/|pino/)';
/** Profile A's feature folders. */
const FEATURES = 'src/(chat|limiter|telemetry|metrics|health|status|common|cluster)/';

module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'An import cycle ties modules that should stand alone.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-framework-free',
      comment:
        'The shared core runs in both profiles: no Nest, class-validator, OpenTelemetry, prom-client, Express, rxjs or pino.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { dependencyTypesNot: ['type-only'], path: FRAMEWORK },
    },
    {
      name: 'core-imports-no-profile',
      comment: 'The core knows nothing of the profiles, the harness or the tests.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^(src/(?!core/)|bench/|test/|tools/)' },
    },
    {
      name: 'baseline-imports-core-ws-node-only',
      comment:
        "Profile B is the minimal baseline: the core, ws, @grpc/grpc-js (Envoy's rate limit service) and node, nothing else.",
      severity: 'error',
      from: { path: '^src/baseline/', pathNot: '\\.spec\\.ts$' },
      to: {
        pathNot: ['^src/(core|baseline)/', '^node_modules/(ws|@types/ws|@grpc/grpc-js)/'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'features-through-their-index',
      comment: "A Profile A feature folder reaches another only through that folder's index.ts.",
      severity: 'error',
      from: { path: `^${FEATURES}` },
      to: { path: `^${FEATURES}`, pathNot: ['^src/$1/', `^${FEATURES}index\\.ts$`] },
    },
    {
      name: 'profiles-apart',
      comment: 'Profile A and Profile B share only the core.',
      severity: 'error',
      from: { path: `^(${FEATURES}|src/platform/|src/ledger/|src/[^/]+\\.ts$)` },
      to: { path: '^src/baseline/' },
    },
    {
      name: 'http-platform-in-its-file',
      comment:
        "Express and Fastify are used in src/platform/ only: the rest of Profile A goes through Nest's platform-agnostic APIs.",
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/platform/' },
      to: { path: '^node_modules/(@nestjs/platform-express|@nestjs/platform-fastify|express|fastify|body-parser)/' },
    },
    {
      name: 'http-platforms-apart',
      comment: 'Each platform file uses its own platform only, so that loading one never loads the other.',
      severity: 'error',
      from: { path: '^src/platform/(express|fastify)\\.ts$' },
      to: { path: '^(src/platform/|node_modules/(@nestjs/platform-|express/|fastify/))', pathNot: '$1' },
    },
    {
      name: 'http-platform-loaded-alone',
      comment:
        'A platform file is loaded with import() once HTTP_PLATFORM has chosen it (src/app.setup.ts): a static import would load it on the other platform too.',
      severity: 'error',
      from: { pathNot: '^src/platform/' },
      to: { path: '^src/platform/', dependencyTypesNot: ['dynamic-import', 'type-only'] },
    },
    {
      name: 'outside-reaches-core-through-index',
      comment: 'bench/, tools/ and test/ see the core through src/core/index.ts only.',
      severity: 'error',
      from: { path: '^(bench|tools|test)/' },
      to: { path: '^src/core/', pathNot: '^src/core/index\\.ts$' },
    },
    {
      name: 'tests-do-not-reach-into-the-harness-support',
      comment: 'test/support shares process helpers with the harness through tools/, not bench/lib.',
      severity: 'error',
      from: { path: '^test/support/' },
      to: { path: '^bench/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist|^dist-bench|^reports|^results|\\.stryker-tmp)' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
