// Checkpoints are Hugging Face folders (config.json, model.safetensors, tokenizer.json + vocab files) plus
// optimizer.safetensors and trainer_state.json. They are written atomically: every file goes into
// <out>/checkpoint.tmp-<pid>/ and is fsynced, then a two-step swap (checkpoint → checkpoint-prev, tmp →
// checkpoint) puts it in place. At every instant one complete checkpoint exists (checkpoint/, or
// checkpoint-prev/ between the two renames), and `recoverCheckpoint` puts it back at checkpoint/ after a crash.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from './config.ts';

export const CHECKPOINT = 'checkpoint';
export const PREVIOUS = 'checkpoint-prev';
export const STATE_FILE = 'trainer_state.json';
/** the last file a fine-tuning run writes into its checkpoint (see finetune/run.ts) */
export const FINETUNE_STATE_FILE = 'finetune_state.json';
export const REQUIRED_FILES: readonly string[] = [
  'config.json',
  'model.safetensors',
  'tokenizer.json',
  'optimizer.safetensors',
  STATE_FILE,
];

export interface GeneratorState {
  seed: number;
  offset: number;
}

/** What a resumed run needs besides the weights and the optimizer moments. */
export interface TrainerState {
  format: 'tsformer-trainer/1';
  model: 'gpt' | 'bert';
  /** optimizer steps done */
  step: number;
  /** the run's length in steps, fixed once (from --steps, or from --max-time and the measured speed) */
  totalSteps: number | null;
  /** evaluate every this many steps, fixed with totalSteps */
  evalEvery: number | null;
  /** seconds spent in training steps (evaluation and saving excluded) */
  trainTime: number;
  /** training tokens seen (GPT) or sequences (BERT) */
  tokensSeen: number;
  sequencesSeen: number;
  /** the generator of batches and masks */
  dataRng: GeneratorState;
  /** the generator of dropout masks (the model's) */
  dropoutRng: GeneratorState;
  config: TrainConfig;
  savedAt: string;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** Test hook: TSFORMER_TRAINER_CRASH=<point>[:<n-th save>] kills the process (SIGKILL) at that point of a save. */
function crashPoint(point: string, saveIndex: number): void {
  const spec = process.env.TSFORMER_TRAINER_CRASH;
  if (!spec) return;
  const [where, nth] = spec.split(':');
  if (where === point && (nth === undefined || Number(nth) === saveIndex))
    process.kill(process.pid, 'SIGKILL');
}

function writeDurable(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(path: string): void {
  try {
    const fd = openSync(path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some file systems do not fsync folders; the renames are still atomic
  }
}

/** True when `dir` holds every checkpoint file and a trainer_state.json that parses. */
export function isCompleteCheckpoint(dir: string): boolean {
  if (!REQUIRED_FILES.every((f) => existsSync(join(dir, f)))) return false;
  try {
    JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'));
    return true;
  } catch {
    return false;
  }
}

let saves = 0;

/**
 * Writes `files` as the run's checkpoint in `out`, atomically (see the top of this file). The file names are
 * relative to the checkpoint folder; trainer_state.json should be among them (it is written last).
 */
export function saveCheckpoint(out: string, files: Record<string, string | Uint8Array>): string {
  saves++;
  mkdirSync(out, { recursive: true });
  const tmp = join(out, `${CHECKPOINT}.tmp-${process.pid}`);
  const current = join(out, CHECKPOINT);
  const previous = join(out, PREVIOUS);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const last = (n: string) => n === STATE_FILE || n === FINETUNE_STATE_FILE;
  const names = Object.keys(files).sort((a, b) => (last(a) ? 1 : last(b) ? -1 : a < b ? -1 : 1));
  names.forEach((name, i) => {
    writeDurable(join(tmp, name), files[name]!);
    if (i === Math.floor(names.length / 2)) crashPoint('mid-write', saves);
  });
  fsyncDir(tmp);
  crashPoint('before-swap', saves);
  if (existsSync(current)) {
    // checkpoint/ is complete here, so an older checkpoint-prev/ can go
    rmSync(previous, { recursive: true, force: true });
    renameSync(current, previous);
    fsyncDir(out);
  }
  crashPoint('mid-swap', saves);
  renameSync(tmp, current);
  fsyncDir(out);
  crashPoint('after-swap', saves);
  rmSync(previous, { recursive: true, force: true });
  return current;
}

/**
 * Puts the last complete checkpoint of `out` back at checkpoint/ after an interrupted save (checkpoint-prev/
 * when checkpoint/ is missing), removes leftover temporary folders, and returns checkpoint/'s path or null.
 */
export function recoverCheckpoint(out: string): string | null {
  if (!existsSync(out)) return null;
  const current = join(out, CHECKPOINT);
  const previous = join(out, PREVIOUS);
  for (const entry of readdirSync(out)) {
    if (entry.startsWith(`${CHECKPOINT}.tmp-`)) rmSync(join(out, entry), { recursive: true, force: true });
  }
  if (isCompleteCheckpoint(current)) {
    rmSync(previous, { recursive: true, force: true });
    return current;
  }
  if (isCompleteCheckpoint(previous)) {
    rmSync(current, { recursive: true, force: true });
    renameSync(previous, current);
    fsyncDir(out);
    return current;
  }
  return null;
}

/**
 * The checkpoint folder to read for `path`, without changing anything: `path` itself when it holds a
 * config.json, else its checkpoint/ when complete, else its checkpoint-prev/.
 */
export function findCheckpoint(path: string): string | null {
  if (existsSync(join(path, 'config.json')) && existsSync(join(path, 'model.safetensors'))) return path;
  for (const name of [CHECKPOINT, PREVIOUS]) {
    const dir = join(path, name);
    if (existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'model.safetensors'))) {
      // a fine-tuned folder has no optimizer state: its finetune_state.json is written last
      if (name === PREVIOUS || isCompleteCheckpoint(dir) || existsSync(join(dir, FINETUNE_STATE_FILE)))
        return dir;
    }
  }
  return null;
}

export function readTrainerState(dir: string): TrainerState {
  const path = join(dir, STATE_FILE);
  let state: TrainerState;
  try {
    state = JSON.parse(readFileSync(path, 'utf8')) as TrainerState;
  } catch (e) {
    throw new CheckpointError(`${path} cannot be read: ${(e as Error).message}`);
  }
  if (state.format !== 'tsformer-trainer/1')
    throw new CheckpointError(`${path} is not a tsformer trainer state`);
  return state;
}
