import { z } from "zod";
import type { KubernetesDriverOptions } from "./options.ts";
import { SERVING_QUERY_METRICS } from "./promql.ts";

/**
 * The per-cluster driver settings an operator writes in a file (`GANTRY_KUBERNETES_CONFIG`, the agent
 * ConfigMap's `kubernetes.yaml`): how serving signals are read and how services are routed. Strict: an
 * unknown or misspelt key is an error naming its path, not a silent default.
 */

const Port = z.number().int().min(1).max(65_535);
/** A DNS-1123 label (Gateway, Service names); templates may carry `{workload}` and `{tenant}`. */
const Name = z
  .string()
  .min(1)
  .max(253)
  .regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?|.*\{(workload|tenant)\}.*)$/, "must be a lowercase DNS name");

const Queries = z.strictObject(
  Object.fromEntries(SERVING_QUERY_METRICS.map((m) => [m, z.string().min(1).max(4_000).optional()])) as Record<
    (typeof SERVING_QUERY_METRICS)[number],
    z.ZodOptional<z.ZodString>
  >,
);

export const KubernetesDriverConfig = z.strictObject({
  serving: z
    .strictObject({
      metrics: z
        .strictObject({
          /** Port when a pod has no `prometheus.io/port` annotation. */
          port: Port.optional(),
          path: z.string().startsWith("/").max(1_000).optional(),
          via: z.enum(["proxy", "direct"]).optional(),
          timeoutMs: z.number().int().min(100).max(60_000).optional(),
          concurrency: z.number().int().min(1).max(64).optional(),
        })
        .optional(),
      prometheus: z
        .strictObject({
          url: z.url({ protocol: /^https?$/ }),
          windowSeconds: z.number().int().min(5).max(3_600).optional(),
          queries: Queries.optional(),
        })
        .optional(),
    })
    .optional(),
  routing: z
    .strictObject({
      gateway: z.strictObject({ name: Name, namespace: Name.optional(), sectionName: Name.optional() }).optional(),
      hostname: Name.optional(),
      pathPrefix: z.string().startsWith("/").max(1_000).optional(),
      port: Port.optional(),
      inferencePool: z
        .strictObject({
          endpointPicker: z.strictObject({
            name: Name,
            port: Port.default(9002),
            failureMode: z.enum(["FailOpen", "FailClose"]).default("FailClose"),
          }),
        })
        .optional(),
    })
    .optional(),
  recreate: z
    .strictObject({
      waitMs: z.number().int().min(0).max(600_000).optional(),
      pollMs: z.number().int().min(10).max(60_000).optional(),
    })
    .optional(),
});
export type KubernetesDriverConfig = z.infer<typeof KubernetesDriverConfig>;

/** Driver options from a parsed config file (only the keys it sets). */
export const optionsFromConfig = (
  c: KubernetesDriverConfig,
): Pick<KubernetesDriverOptions, "serving" | "routing" | "recreate"> => ({
  ...(c.serving ? { serving: c.serving } : {}),
  ...(c.routing ? { routing: c.routing } : {}),
  ...(c.recreate ? { recreate: c.recreate } : {}),
});
