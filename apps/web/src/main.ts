import './style.css';
import { startBackend } from './lib/backend.js';
import { type ModelBundle, fetchBundle } from './lib/model-bundle.js';
import { el } from './ui/dom.js';
import { ClassifyPanel } from './ui/classify-panel.js';
import { DistillPanel } from './ui/distill-panel.js';
import { InsidePanel } from './ui/inside-panel.js';
import { type TestHook, hook } from './ui/test-hook.js';

const ASSETS = 'mnist';

async function main(): Promise<void> {
  const status = el('p', { id: 'status', role: 'status' }, 'starting TF.js…');
  const app = document.getElementById('app')!;
  app.append(
    el('header', {}, el('h1', {}, 'DeiT in the browser'), el('p', { class: 'sub' }, 'deitjs: a data-efficient image transformer with a distillation token, on TensorFlow.js — classify, look inside, distill live. Everything runs in this tab, offline.'), status),
  );
  const backend = await startBackend();
  status.textContent = backend.summary;
  status.dataset.isolated = String(backend.isolated);
  const [student, teacher, summary, analysis] = await Promise.all([
    fetchBundle(`${ASSETS}/student`),
    fetchBundle(`${ASSETS}/teacher`),
    fetch(`${ASSETS}/summary.json`).then((r) => (r.ok ? r.json() : undefined)),
    fetch(`${ASSETS}/student/analysis.json`).then((r) => (r.ok ? r.json() : undefined)),
  ]);
  const inside = new InsidePanel(analysis);
  const classify = new ClassifyPanel({ student, teacher } as { student: ModelBundle; teacher: ModelBundle }, summary, analysis, (view) => inside.show(view));
  const distill = new DistillPanel({ teacher: `${ASSETS}/teacher`, student: `${ASSETS}/student`, digits: ASSETS });
  app.append(el('main', {}, classify.root, inside.root, distill.root));
  app.append(el('footer', {}, 'Models: the MNIST main job of deit-train (apps/web/scripts/make-assets.mjs). Serve with ', el('code', {}, 'npm run web'), '.'));
  const h: TestHook = hook();
  h.classify = classify;
  h.distill = distill;
  h.backend = backend;
  h.ready = true;
}

main().catch((err: unknown) => {
  const msg = err instanceof Error ? err.message : String(err);
  document.getElementById('app')!.append(el('p', { class: 'error', role: 'alert' }, `deit-web failed to start: ${msg}`));
  hook().error = msg;
});
