// The replica worker script of the data-parallel tests (bundled from sources by core's workerScript).
import { ConfigError } from '@deitjs/core';
import { serveReplica } from '../replica.js';
import { testLoss, testLossWithParts } from './losses.js';
import { TinyMlp, type TinyMlpOptions, teacherOf } from './models.js';

/** What the tests send as replica options. */
export interface TestReplicaOptions {
  mlp: TinyMlpOptions;
  /** A teacher MLP built in the replica (its weights from the same seed as the test's). */
  teacher?: TinyMlpOptions;
  parts?: boolean;
  /** Make the factory fail (error-path test). */
  fail?: boolean;
  /** Die at this replica's n-th loss computation: its thread exits (`exit`), or the loss throws (`throw`). */
  die?: { atCall: number; how: 'exit' | 'throw' };
}

serveReplica((options) => {
  const o = options as TestReplicaOptions;
  if (o.fail) throw new ConfigError('replicaOptions.fail', 'asked to fail');
  let calls = 0;
  const check = (): void => {
    if (++calls === o.die?.atCall) {
      if (o.die.how === 'exit') process.exit(7);
      throw new Error(`replica asked to die at call ${calls}`);
    }
  };
  return {
    student: new TinyMlp(o.mlp),
    loss: o.parts ? dying(testLossWithParts, check) : dying(testLoss, check),
    ...(o.teacher ? { teacher: teacherOf(new TinyMlp(o.teacher)) } : {}),
  };
});

/** `loss` calling `check` first (which may end the thread or throw). */
function dying<F extends (...args: never[]) => unknown>(loss: F, check: () => void): F {
  return ((...args: Parameters<F>) => {
    check();
    return loss(...args);
  }) as F;
}
