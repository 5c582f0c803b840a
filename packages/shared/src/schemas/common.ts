import { z } from "zod";
import { boundedNumber, boundedString, LIMITS } from "./limits.ts";

/** DNS-1123 label: the names of clusters, workloads and tenants end up in Kubernetes objects and NATS subjects. */
export const Name = z
  .string()
  .min(1)
  .max(LIMITS.nameLength.value)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label: lower-case letters, digits and '-'");
export type Name = z.infer<typeof Name>;

/** Any other identifier users write (provider, region, zone, node names, globs): non-empty, bounded. */
export const Identifier = boundedString(LIMITS.stringLength);

/** A GPU model as prices and requests name it (`A100`, `H100-80GB`). */
export const GpuModel = boundedString(LIMITS.stringLength);

/** An amount of money in USD (budgets, spend caps). */
export const Usd = boundedNumber(LIMITS.usd);

/** A price per GPU-hour in USD. */
export const GpuHourPrice = boundedNumber(LIMITS.gpuHourPrice);
