import { Placement } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { routingFor } from "./routing.ts";

const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "llm" },
  spec: {
    template: {
      spec: { containers: [{ name: "a", ports: [{ containerPort: 9000 }, { name: "http", containerPort: 8000 }] }] },
    },
  },
};

const placement = (type: "job" | "service") =>
  Placement.parse({
    uid: "uid-llm",
    workload: "llm",
    tenant: "chat",
    cluster: "c",
    replicas: 1,
    generation: 1,
    decisionId: "d",
    spec: { type, template: [deployment] },
  });

const all = { httpRoute: true, inferencePool: "inference.networking.k8s.io/v1" } as const;
const config = {
  gateway: { name: "gw" },
  inferencePool: { endpointPicker: { name: "{tenant}-{workload}-epp", port: 9002, failureMode: "FailOpen" as const } },
};

describe("routingFor", () => {
  it("makes nothing for a job, or where the cluster lacks the APIs or the config", () => {
    expect(routingFor(placement("job"), all, config).manifests).toEqual([]);
    expect(routingFor(placement("service"), { httpRoute: false, inferencePool: undefined }, config).manifests).toEqual(
      [],
    );
    expect(routingFor(placement("service"), all, {}).manifests).toEqual([]);
  });

  it("pools the pods on the port named http and fills the picker's name template", () => {
    const [pool, route] = routingFor(placement("service"), all, config).manifests;
    expect(pool).toMatchObject({
      kind: "InferencePool",
      spec: { targetPorts: [{ number: 8000 }], endpointPickerRef: { name: "chat-llm-epp", failureMode: "FailOpen" } },
    });
    expect(route).toMatchObject({ kind: "HTTPRoute", metadata: { name: "llm" } });
  });

  it("adds a Service only for a route that has no pool and no Service of the template's", () => {
    const kinds = routingFor(placement("service"), { httpRoute: true, inferencePool: undefined }, config).manifests.map(
      (m) => m.kind,
    );
    expect(kinds).toEqual(["Service", "HTTPRoute"]);
  });
});
