import { z } from "zod";

/** DNS-1123 label: the names of clusters, workloads and tenants end up in Kubernetes objects and NATS subjects. */
export const Name = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label: lower-case letters, digits and '-'");
export type Name = z.infer<typeof Name>;

export const Labels = z.record(z.string(), z.string());
export type Labels = z.infer<typeof Labels>;

export const TaintEffect = z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]);

export const Taint = z.object({
  key: z.string().min(1),
  value: z.string().default(""),
  effect: TaintEffect.default("NoSchedule"),
});
export type Taint = z.infer<typeof Taint>;

/** A toleration matches a taint by key, optional value and optional effect (Kubernetes semantics, `Exists` when value is omitted). */
export const Toleration = z.object({
  key: z.string().min(1),
  value: z.string().optional(),
  effect: TaintEffect.optional(),
});
export type Toleration = z.infer<typeof Toleration>;

export const Usd = z.number().nonnegative();
