// Worker-thread entry of a data-parallel replica (built by tsup as dist/replica.js; see replica-spec.ts).
import { serveReplica } from '@deitjs/trainer';
import { type ReplicaSpec, buildReplica } from './replica-spec.js';

serveReplica((options) => buildReplica(options as ReplicaSpec));
