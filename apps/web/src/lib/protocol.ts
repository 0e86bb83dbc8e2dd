import type { DistillSettings, EvalReport, StepReport } from './distill-job.js';

/** Where the worker finds the committed assets (URLs relative to the page). */
export interface AssetUrls {
  /** Folder of the teacher's run.json and model.safetensors. */
  teacher: string;
  /** Folder of the student's run.json (the live students take its architecture and preprocessing). */
  student: string;
  /** Folder of digits.json and digits.bin. */
  digits: string;
}

/** Page → worker. */
export type ToWorker =
  | { type: 'start'; settings: DistillSettings; assets: AssetUrls }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'weights'; which: 'distilled' | 'baseline' };

/** The worker's state. */
export type JobState = 'loading' | 'running' | 'paused' | 'done' | 'stopped';

/** Worker → page. */
export type FromWorker =
  | { type: 'backend'; summary: string }
  | { type: 'state'; state: JobState; phase?: 'teacher' | 'students'; totalSteps?: number }
  | { type: 'step'; report: StepReport }
  | { type: 'eval'; report: EvalReport }
  | { type: 'weights'; which: 'distilled' | 'baseline'; safetensors: ArrayBuffer; runJson: string }
  | { type: 'error'; message: string };
