import { defineConfig } from 'tsup';
import { browserEntry, mainEntry } from '../../tsup.shared.ts';

export default defineConfig([mainEntry(), browserEntry()]);
