/**
 * What a checkpoint says about its model, read from the safetensors header alone (no tensor data, no
 * libtorch), so that `stad test` can build the right detector and check the dataset before loading.
 *
 * Metadata keys (`__metadata__`, each value a JSON string), in the order they are looked for:
 *   `config`  the run configuration that `stad train` resolved: `config.model` is a full ModelConfig
 *             (src/models/presets.ts) and `config.classes`, when present, the class names it was
 *             trained on (with or without the background "None" at index 0), and `config.amp` the
 *             precision it trained in ('bf16' or 'none'; absent: 'none');
 *   `model`   a ModelConfig alone, with optional `classes` beside it (a JSON array of names).
 */
import { existsSync, statSync } from 'node:fs';
import { readSafetensorsHeader } from '../serialization/safetensors.js';
import { parseModelConfig, type ModelConfig } from '../models/presets.js';
import type { Dataset } from '../data/dataset.js';
import { fail } from '../util/errors.js';

export interface CheckpointModel {
  model: ModelConfig;
  /** Class names recorded with the model, or null when only numClasses is known. */
  classes: string[] | null;
  /** Where the model config was found, e.g. `__metadata__.config.model` (for messages). */
  modelKey: string;
  /** Where the classes were found (null when none). */
  classesKey: string | null;
  /** The precision the run trained in (`config.amp`): stad test evaluates in it unless --amp says otherwise. */
  amp: 'none' | 'bf16';
}

function ampOf(path: string, v: unknown): 'none' | 'bf16' {
  if (v === undefined || v === null) return 'none';
  if (v !== 'none' && v !== 'bf16') return fail(path, '__metadata__.config.amp', `expected "bf16" or "none", got ${JSON.stringify(v)}`);
  return v;
}

function parseJson(path: string, key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fail(path, `__metadata__.${key}`, 'is not valid JSON');
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function classList(path: string, key: string, v: unknown): string[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((c) => typeof c === 'string')) fail(path, key, 'expected an array of class names');
  return v as string[];
}

/** Reads the model configuration (and class names) from a checkpoint's metadata. */
export function readCheckpointModel(path: string): CheckpointModel {
  if (!existsSync(path)) fail(path, undefined, 'no such checkpoint file');
  if (!statSync(path).isFile()) fail(path, undefined, 'is not a file (expected a .safetensors checkpoint)');
  const { metadata } = readSafetensorsHeader(path);
  if (metadata.config !== undefined) {
    const config = parseJson(path, 'config', metadata.config);
    if (isRecord(config) && config.model !== undefined) {
      return {
        model: parseModelConfig(config.model, `${path}: __metadata__.config.model`),
        classes: classList(path, '__metadata__.config.classes', config.classes),
        modelKey: '__metadata__.config.model',
        classesKey: config.classes === undefined || config.classes === null ? null : '__metadata__.config.classes',
        amp: ampOf(path, config.amp),
      };
    }
  }
  if (metadata.model !== undefined) {
    const model = parseModelConfig(parseJson(path, 'model', metadata.model), `${path}: __metadata__.model`);
    const classes = metadata.classes === undefined ? null : classList(path, '__metadata__.classes', parseJson(path, 'classes', metadata.classes));
    return { model, classes, modelKey: '__metadata__.model', classesKey: classes ? '__metadata__.classes' : null, amp: 'none' };
  }
  return fail(path, '__metadata__', 'no model configuration: expected "config" (a run config with a "model" field, as stad train writes) or "model" (a model config)');
}

/**
 * Checks that the dataset's classes are the checkpoint's: the names when the checkpoint has them
 * (with or without the background at index 0), else the number of outputs.
 */
export function checkCheckpointClasses(path: string, ck: CheckpointModel, ds: Dataset): void {
  const dsClasses = ds.classes;
  if (ck.classes) {
    const same = (a: readonly string[]) => a.length === ck.classes!.length && a.every((c, i) => c === ck.classes![i]);
    if (!same(dsClasses) && !same(dsClasses.slice(1))) {
      fail(path, ck.classesKey ?? 'classes', `the checkpoint's classes [${ck.classes.join(', ')}] differ from the dataset's [${dsClasses.join(', ')}] (${ds.root})`);
    }
  }
  const n = ck.model.head.numClasses;
  if (n !== dsClasses.length) {
    fail(path, `${ck.modelKey}.head.numClasses`, `the model has ${n} classes (with the background) but the dataset ${ds.root} has ${dsClasses.length} (${dsClasses.join(', ') || 'none'})`);
  }
}
