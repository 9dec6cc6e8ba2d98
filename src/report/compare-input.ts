/**
 * The report's input contract for `--compare <compare.json>`: the part of what `stad compare` writes
 * (src/compare/report.ts `compareJson`) that the report draws. Everything else in the file is ignored
 * (loose objects), so compare can record more than the report draws:
 *
 *   {
 *     "bootstrap": { "level": 0.95, ... },          // the intervals' confidence level
 *     "recipes": [
 *       {
 *         "name": "focal_bn",                        // the recipe's label
 *         "runs": [ { "seed": 0, "allMAP": 0.79, ... } ],
 *         "allMAP":   { "mean": 0.79, "ci": [0.75, 0.83], ... },
 *         "perClass": [ { "class": "kick", "mean": 0.61, "ci": [0.52, 0.70], ... } ]
 *       }
 *     ],
 *     ...
 *   }
 *
 * Means and interval ends may be null (a class without ground truth, a figure that is not defined):
 * nothing is drawn for them. Classes are lists, not objects keyed by names from files.
 */
import { z } from 'zod';
import { readJsonFile } from '../data/json-file.js';
import { fail } from '../util/errors.js';

const unit = z.number().min(0).max(1).nullable();

/** A figure over seeds: its mean and its resampling interval [lo, hi]. */
export const SummarySchema = z.looseObject({ mean: unit, ci: z.tuple([unit, unit]) });

export const CompareInputSchema = z.looseObject({
  bootstrap: z.looseObject({ level: z.number().gt(0).lt(1) }),
  recipes: z
    .array(
      z.looseObject({
        name: z.string().min(1),
        runs: z.array(z.looseObject({ seed: z.number().int().min(0), allMAP: unit })),
        allMAP: SummarySchema,
        perClass: z.array(SummarySchema.extend({ class: z.string().min(1) })),
      }),
    )
    .min(1),
});

export type CompareInput = z.infer<typeof CompareInputSchema>;
export type CompareSummary = z.infer<typeof SummarySchema>;

/** Reads and validates a compare.json; a bad file is one line naming it and the field. */
export function readCompareInput(path: string): CompareInput {
  const c = readJsonFile(path, CompareInputSchema);
  c.recipes.forEach((r, i) => {
    for (const [where, s] of [['allMAP', r.allMAP] as const, ...r.perClass.map((p, j) => [`perClass[${j}]`, p] as const)]) {
      const [lo, hi] = s.ci;
      if (lo !== null && hi !== null && lo > hi) fail(path, `recipes[${i}].${where}.ci`, `expected [lo, hi] with lo <= hi, got [${lo}, ${hi}]`);
    }
  });
  return c;
}
