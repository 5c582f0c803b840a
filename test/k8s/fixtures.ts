import type { Obj } from "./fake-store.ts";

/**
 * Builders for objects shaped like real API responses. The GPU node follows what NVIDIA GPU feature
 * discovery and the device plugin put on a GKE/EKS A100 node (labels, capacity vs allocatable,
 * conditions, nodeInfo); the pod follows a Job's pod as the API returns it.
 */

export interface GpuNodeSpec {
  name: string;
  product?: string;
  gpus?: number;
  memoryMiB?: number;
  cpu?: string;
  memory?: string;
  ready?: boolean;
  unschedulable?: boolean;
  taints?: { key: string; value?: string; effect: string }[];
  mig?: Record<string, number>;
  zone?: string;
  /** False: a node without GPU feature discovery (no `nvidia.com/gpu.*` labels; the device plugin still runs). */
  gfd?: boolean;
}

export const aGpuNode = (s: GpuNodeSpec): Obj => {
  const gpus = s.gpus ?? 8;
  const product = s.product ?? "NVIDIA-A100-SXM4-80GB";
  const resources: Record<string, string> = {
    cpu: s.cpu ?? "96",
    "ephemeral-storage": "1967892748Ki",
    "hugepages-1Gi": "0",
    "hugepages-2Mi": "0",
    memory: s.memory ?? "1056645096Ki",
    pods: "110",
  };
  if (s.mig) for (const [profile, n] of Object.entries(s.mig)) resources[`nvidia.com/mig-${profile}`] = String(n);
  else if (gpus > 0) resources["nvidia.com/gpu"] = String(gpus);
  const node = {
    metadata: {
      name: s.name,
      labels: {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": s.name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "a2-ultragpu-8g",
        "topology.kubernetes.io/region": "europe-west4",
        "topology.kubernetes.io/zone": s.zone ?? "europe-west4-a",
        "feature.node.kubernetes.io/pci-10de.present": "true",
        "nvidia.com/cuda.driver.major": "535",
        "nvidia.com/cuda.driver.minor": "104",
        "nvidia.com/cuda.runtime.major": "12",
        "nvidia.com/gfd.timestamp": "1700000000",
        "nvidia.com/gpu.compute.major": "8",
        "nvidia.com/gpu.compute.minor": "0",
        "nvidia.com/gpu.count": String(gpus),
        "nvidia.com/gpu.family": "ampere",
        "nvidia.com/gpu.machine": "a2-ultragpu-8g",
        "nvidia.com/gpu.memory": String(s.memoryMiB ?? 81920),
        "nvidia.com/gpu.product": product,
        "nvidia.com/gpu.replicas": "1",
        "nvidia.com/mig.capable": "true",
        "nvidia.com/mig.strategy": s.mig ? "mixed" : "none",
      },
      annotations: {
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
      },
    },
    spec: {
      podCIDR: "10.4.1.0/24",
      providerID: `gce://gantry-test/europe-west4-a/${s.name}`,
      ...(s.unschedulable ? { unschedulable: true } : {}),
      ...(s.taints ? { taints: s.taints } : {}),
    },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [
        {
          type: "MemoryPressure",
          status: "False",
          reason: "KubeletHasSufficientMemory",
          message: "kubelet has sufficient memory available",
          lastHeartbeatTime: "2024-05-01T10:00:00Z",
          lastTransitionTime: "2024-05-01T09:00:00Z",
        },
        {
          type: "DiskPressure",
          status: "False",
          reason: "KubeletHasNoDiskPressure",
          message: "kubelet has no disk pressure",
          lastHeartbeatTime: "2024-05-01T10:00:00Z",
          lastTransitionTime: "2024-05-01T09:00:00Z",
        },
        {
          type: "PIDPressure",
          status: "False",
          reason: "KubeletHasSufficientPID",
          message: "kubelet has sufficient PID available",
          lastHeartbeatTime: "2024-05-01T10:00:00Z",
          lastTransitionTime: "2024-05-01T09:00:00Z",
        },
        {
          type: "Ready",
          status: s.ready === false ? "False" : "True",
          reason: s.ready === false ? "KubeletNotReady" : "KubeletReady",
          message: s.ready === false ? "container runtime network not ready" : "kubelet is posting ready status",
          lastHeartbeatTime: "2024-05-01T10:00:00Z",
          lastTransitionTime: "2024-05-01T09:00:00Z",
        },
      ],
      addresses: [
        { type: "InternalIP", address: "10.164.0.12" },
        { type: "Hostname", address: s.name },
      ],
      nodeInfo: {
        architecture: "amd64",
        containerRuntimeVersion: "containerd://1.7.13",
        kernelVersion: "6.1.75+",
        kubeProxyVersion: "v1.29.4-gke.1043002",
        kubeletVersion: "v1.29.4-gke.1043002",
        operatingSystem: "linux",
        osImage: "Container-Optimized OS from Google",
      },
    },
  };
  if (s.gfd === false) {
    const labels = node.metadata.labels as Record<string, string>;
    for (const key of Object.keys(labels)) if (key.startsWith("nvidia.com/gpu.")) delete labels[key];
  }
  return node;
};

export interface PodSpec {
  name: string;
  namespace?: string;
  node?: string;
  gpus?: number;
  cpu?: string;
  memory?: string;
  phase?: "Pending" | "Running" | "Succeeded" | "Failed";
  labels?: Record<string, string>;
  unschedulable?: string;
}

export const aPod = (s: PodSpec): Obj => {
  const phase = s.phase ?? (s.node ? "Running" : "Pending");
  return {
    metadata: {
      name: s.name,
      namespace: s.namespace ?? "ml",
      generateName: `${s.name.replace(/-[a-z0-9]+$/, "")}-`,
      labels: { "batch.kubernetes.io/job-name": "train", "job-name": "train", ...(s.labels ?? {}) },
      ownerReferences: [
        { apiVersion: "batch/v1", kind: "Job", name: "train", uid: "5b1c", controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      ...(s.node ? { nodeName: s.node } : {}),
      restartPolicy: "Never",
      schedulerName: "default-scheduler",
      serviceAccountName: "default",
      terminationGracePeriodSeconds: 30,
      tolerations: [
        { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
        { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
      ],
      containers: [
        {
          name: "train",
          image: "ghcr.io/example/resnet:1.4",
          imagePullPolicy: "IfNotPresent",
          resources: {
            limits: { ...(s.gpus ? { "nvidia.com/gpu": String(s.gpus) } : {}), memory: s.memory ?? "64Gi" },
            requests: {
              cpu: s.cpu ?? "8",
              ...(s.gpus ? { "nvidia.com/gpu": String(s.gpus) } : {}),
              memory: s.memory ?? "64Gi",
            },
          },
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
        },
      ],
    },
    status: {
      phase,
      qosClass: "Burstable",
      conditions: s.unschedulable
        ? [
            {
              type: "PodScheduled",
              status: "False",
              reason: "Unschedulable",
              message: s.unschedulable,
              lastTransitionTime: "2024-05-01T10:00:00Z",
            },
          ]
        : [
            { type: "PodScheduled", status: "True", lastTransitionTime: "2024-05-01T10:00:00Z" },
            {
              type: "Ready",
              status: phase === "Running" ? "True" : "False",
              lastTransitionTime: "2024-05-01T10:00:05Z",
            },
          ],
      ...(phase === "Running"
        ? {
            hostIP: "10.164.0.12",
            podIP: "10.4.1.7",
            startTime: "2024-05-01T10:00:00Z",
            containerStatuses: [
              {
                name: "train",
                ready: true,
                restartCount: 0,
                image: "ghcr.io/example/resnet:1.4",
                state: { running: { startedAt: "2024-05-01T10:00:03Z" } },
              },
            ],
          }
        : {}),
    },
  };
};

export const aNamespace = (name: string): Obj => ({
  metadata: { name, labels: { "kubernetes.io/metadata.name": name } },
  spec: { finalizers: ["kubernetes"] },
  status: { phase: "Active" },
});

/** An Event as the API returns it (core/v1). */
export const anEvent = (s: {
  name: string;
  namespace: string;
  kind: string;
  object: string;
  reason: string;
  message: string;
  type?: string;
}): Obj => ({
  metadata: { name: s.name, namespace: s.namespace },
  involvedObject: {
    apiVersion: s.kind === "Pod" ? "v1" : "batch/v1",
    kind: s.kind,
    name: s.object,
    namespace: s.namespace,
  },
  reason: s.reason,
  message: s.message,
  source: { component: s.kind === "Pod" ? "default-scheduler" : "job-controller" },
  firstTimestamp: "2024-05-01T10:00:00Z",
  lastTimestamp: "2024-05-01T10:01:00Z",
  count: 1,
  type: s.type ?? "Warning",
  reportingComponent: s.kind === "Pod" ? "default-scheduler" : "job-controller",
});
