import { defineConfig } from 'tsup';
import { mainEntry, workerEntry } from '../../tsup.shared.ts';

// replicaScript() finds replica.js beside the module through import.meta.url (mainEntry's shims: in CommonJS too).
export default defineConfig([mainEntry(), workerEntry('src/replica.ts')]);
