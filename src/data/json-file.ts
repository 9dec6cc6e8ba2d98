/** Reading a small JSON file that a zod schema describes, with one-line errors naming the file and field. */
import type { z } from 'zod';
import { fail } from '../util/errors.js';
import { readTextFile } from '../util/fs.js';
import { describeZodIssue } from './via3/schema.js';

export function readJsonFile<S extends z.ZodType>(path: string, schema: S): z.infer<S> {
  const text = readTextFile(path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(path, undefined, `not valid JSON (${(e as Error).message})`);
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const { where, message } = describeZodIssue(r.error.issues[0]!);
    fail(path, where, message);
  }
  return r.data as z.infer<S>;
}
