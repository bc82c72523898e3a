/**
 * The arrows of docs/architecture.md, enforced by `npm test` (npm run deps). A wrong import or a
 * cycle fails the build with the rule it broke.
 *
 *   cli ──► engine ──► profile, results, routing, metrics, cql
 *    │        results ──► profile (configuration types, gate rules), metrics
 *    │        profile ──► cql (the shared CQL parser)
 *    │        routing ──► cql
 *    └──► sim ──► cql, routing          (the emulator stands apart)
 *   report ──► results, metrics, profile (a rendering of result data)
 *   doctor ──► cql, profile, results      (reads a live cluster, a profile and a result; only cli runs it)
 */
const room = (r) => `^src/${r}/`;
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'no import cycles anywhere in src/', from: { path: '^src/' }, to: { circular: true } },
    { name: 'only-cli-imports-cli', severity: 'error', comment: 'cli/ wires; nothing below it may know the CLI', from: { path: '^src/', pathNot: room('cli') }, to: { path: room('cli') } },
    { name: 'only-cli-imports-engine', severity: 'error', comment: 'the engine executes; only the CLI drives it', from: { path: '^src/', pathNot: `${room('cli')}|${room('engine')}` }, to: { path: room('engine') } },
    { name: 'sim-stands-apart', severity: 'error', comment: 'the emulator shares only cql/ and routing/', from: { path: room('sim') }, to: { path: '^src/', pathNot: `${room('sim')}|${room('cql')}|${room('routing')}` } },
    { name: 'only-cli-starts-sim', severity: 'error', comment: 'only the CLI starts the emulator (run, ab, sim)', from: { path: '^src/', pathNot: `${room('sim')}|${room('cli')}` }, to: { path: room('sim') } },
    { name: 'results-computes-on-data', severity: 'error', comment: 'results/ reads result data and configuration; it never talks to a cluster', from: { path: room('results') }, to: { path: `${room('engine')}|${room('routing')}|${room('cql')}|${room('sim')}|${room('report')}` } },
    { name: 'report-renders-data', severity: 'error', comment: 'report/ renders result data', from: { path: room('report') }, to: { path: `${room('engine')}|${room('routing')}|${room('cql')}|${room('sim')}` } },
    { name: 'profile-is-configuration', severity: 'error', comment: 'profile/ turns files into configuration; it uses only the shared CQL parser', from: { path: room('profile') }, to: { path: '^src/', pathNot: `${room('profile')}|${room('cql')}` } },
    { name: 'routing-on-cql', severity: 'error', from: { path: room('routing') }, to: { path: '^src/', pathNot: `${room('routing')}|${room('cql')}` } },
    { name: 'cql-knows-no-workloads', severity: 'error', comment: 'the protocol client knows nothing above it', from: { path: room('cql') }, to: { path: '^src/', pathNot: room('cql') } },
    { name: 'doctor-reads-cluster-profile-result', severity: 'error', comment: 'doctor/ reads a live cluster (cql/), a profile and a result; it never runs a workload or the emulator', from: { path: room('doctor') }, to: { path: '^src/', pathNot: `${room('doctor')}|${room('cql')}|${room('profile')}|${room('results')}` } },
    { name: 'only-cli-runs-doctor', severity: 'error', from: { path: '^src/', pathNot: `${room('doctor')}|${room('cli')}` }, to: { path: room('doctor') } },
    { name: 'metrics-standalone', severity: 'error', from: { path: room('metrics') }, to: { path: '^src/', pathNot: room('metrics') } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // type-only imports are arrows too
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
