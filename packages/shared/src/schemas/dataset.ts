import { z } from "zod";
import { Identifier } from "./common.ts";
import { boundedList, boundedNumber, LIMITS } from "./limits.ts";

/** A dataset and where copies of it live: cluster names or region names (globs allowed, e.g. `eu-*`). */
export const Dataset = z.strictObject({
  name: Identifier,
  sizeGB: boundedNumber(LIMITS.datasetSizeGB),
  locations: boundedList(Identifier, LIMITS.locations).default([]),
});
export type Dataset = z.infer<typeof Dataset>;
