// The Trainer for Node (what Node's entry exports): the class of trainer-class.ts with its file side plugged in.
import { resumeCheckpoint, resumeRun } from './resume.js';
import { RunDirectory } from './run-directory.js';
import { provideTrainerFiles } from './trainer-files.js';

provideTrainerFiles({ RunDirectory, resumeCheckpoint, resumeRun });

export { type RunResult, Trainer } from './trainer-class.js';
