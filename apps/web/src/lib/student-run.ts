import type { DistillJob } from './distill-job.js';

/**
 * run.json for a student trained in the page: the committed student's description (architecture, data, eval
 * preprocessing) with what differs here, so deit-eval reads the downloaded folder like a deit-train run directory.
 */
export function studentRunJson(committed: Record<string, unknown>, job: DistillJob, which: 'distilled' | 'baseline'): string {
  const run: Record<string, unknown> = { ...committed, kind: 'student', distilled: true };
  delete run.teacherRun;
  if (which === 'distilled') run.teacher = job.teacher.run.model;
  else delete run.teacher;
  run.trainedIn = `deit-web live distillation (${which === 'distilled' ? `${job.settings.distillationType} distillation, α 0.5` : 'no distillation'}, ${job.settings.epochs} epochs, seed ${job.settings.seed})`;
  return `${JSON.stringify(run, null, 2)}\n`;
}
