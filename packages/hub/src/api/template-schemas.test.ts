import { describe, expect, it } from "vitest";
import { hasKubernetesSchema, templateIssues } from "./template-schemas.ts";

const container = { name: "main", image: "busybox" };
const job = (spec: unknown) => ({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "j" }, spec });

describe("templateIssues", async () => {
  it("passes manifests the Kubernetes schemas accept", async () => {
    expect(
      await templateIssues([
        job({ parallelism: 2, template: { spec: { restartPolicy: "Never", containers: [container] } } }),
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "b" } },
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: "d" },
          spec: { selector: { matchLabels: { a: "b" } }, template: { spec: { containers: [container] } } },
        },
      ]),
    ).toEqual([]);
  });

  it("names the path of a wrong type inside the workload", async () => {
    const issues = await templateIssues([job({ template: { spec: { containers: [{ name: "main", image: 3 }] } } })]);
    expect(issues).toEqual([
      {
        field: "spec.template.0.spec.template.spec.containers.0.image",
        message: "must be string (Kubernetes' batch/v1 Job schema)",
      },
    ]);
  });

  it("names a required field that is missing, and counts manifests from 0", async () => {
    const ok = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } };
    expect(await templateIssues([ok, job({})])).toEqual([
      { field: "spec.template.1.spec.template", message: "is required (Kubernetes' batch/v1 Job schema)" },
    ]);
    expect((await templateIssues([job({ template: { spec: {} } })])).map((i) => i.field)).toEqual([
      "spec.template.0.spec.template.spec.containers",
    ]);
  });

  it("says which values an enum allows", async () => {
    const issues = await templateIssues([
      { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { ports: [{ port: "eighty" }] } },
    ]);
    expect(issues[0]).toMatchObject({
      field: "spec.template.0.spec.ports.0.port",
      message: expect.stringMatching(/must be integer/),
    });
  });

  it("lets kinds without a shipped schema through (CRDs), and says which kinds it checks", async () => {
    const jobSet = { apiVersion: "jobset.x-k8s.io/v1alpha2", kind: "JobSet", spec: { replicatedJobs: "nonsense" } };
    expect(await templateIssues([jobSet])).toEqual([]);
    expect(hasKubernetesSchema("batch/v1", "Job")).toBe(true);
    expect(hasKubernetesSchema("jobset.x-k8s.io/v1alpha2", "JobSet")).toBe(false);
  });

  it("reports at most ten issues per manifest", async () => {
    const containers = Array.from({ length: 30 }, (_, i) => ({ name: `c${i}`, image: i }));
    expect(await templateIssues([job({ template: { spec: { containers } } })])).toHaveLength(10);
  });
});
