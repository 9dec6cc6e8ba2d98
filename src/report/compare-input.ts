/**
 * The report's input contract for `--compare <compare.json>`: what `stad compare` must write for the
 * report to draw per-recipe results over seeds with their intervals. Anything else in the file is
 * ignored (loose objects), so compare can record more than the report draws.
 *
 *   {
 *     "confidence": 0.95,                       // of every interval below
 *     "recipes": [
 *       {
 *         "name": "focal_bn",                   // shown as the recipe's label
 *         "seeds": [ { "seed": 0, "allMAP": 0.79, "perClass": [ { "class": "kick", "ap": 0.61 } ] } ],
 *         "allMAP":   { "mean": 0.79, "lo": 0.75, "hi": 0.83 },
 *         "perClass": [ { "class": "kick", "mean": 0.61, "lo": 0.52, "hi": 0.70 } ]
 *       }
 *     ]
 *   }
 *
 * Intervals are bootstrap intervals of the mean over seeds (or over test keyframes; the report only
 * draws them). `lo <= mean <= hi` is checked; classes are lists, not objects keyed by names from files.
 */
import { z } from 'zod';
import { readJsonFile } from '../data/json-file.js';
import { fail } from '../util/errors.js';

const unit = z.number().min(0).max(1);

export const IntervalSchema = z.looseObject({ mean: unit, lo: unit, hi: unit });

export const CompareInputSchema = z.looseObject({
  confidence: z.number().gt(0).lt(1),
  recipes: z
    .array(
      z.looseObject({
        name: z.string().min(1),
        seeds: z.array(z.looseObject({ seed: z.number().int().min(0), allMAP: unit.nullable(), perClass: z.array(z.looseObject({ class: z.string(), ap: unit.nullable() })) })),
        allMAP: IntervalSchema,
        perClass: z.array(IntervalSchema.extend({ class: z.string().min(1) })),
      }),
    )
    .min(1),
});

export type CompareInput = z.infer<typeof CompareInputSchema>;

/** Reads and validates a compare.json; a bad file is one line naming it and the field. */
export function readCompareInput(path: string): CompareInput {
  const c = readJsonFile(path, CompareInputSchema);
  c.recipes.forEach((r, i) => {
    for (const [where, iv] of [['allMAP', r.allMAP] as const, ...r.perClass.map((p, j) => [`perClass[${j}]`, p] as const)]) {
      if (!(iv.lo <= iv.mean && iv.mean <= iv.hi)) fail(path, `recipes[${i}].${where}`, `expected lo <= mean <= hi, got ${iv.lo}, ${iv.mean}, ${iv.hi}`);
    }
  });
  return c;
}
