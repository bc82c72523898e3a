/** `doctor`: ScyllaDB's production checklist and red lines, checked on a live cluster (see docs/doctor.md). */
export { runDoctor, resultView, SCYLLA_METRICS_PORT, type DoctorOptions } from './run.js';
export { formatReport, worstFirst } from './format.js';
export { ClusterUnreachable } from './cluster.js';
export { GUIDANCE, totalsOf, type CheckId, type DoctorReport, type Evidence, type Finding, type Status } from './types.js';
