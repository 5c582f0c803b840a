import { z } from "zod";
import { isDriverError } from "./errors.ts";
import type { KubeHttp } from "./http.ts";
import { objectPath, type ResourceKind } from "./kinds.ts";
import { ObjectMeta } from "./schemas.ts";

/** How long a reconcile waits for a deleted object to be gone before it leaves the rest to the next one. */
export interface RecreateTiming {
  waitMs: number;
  pollMs: number;
}

export const DEFAULT_RECREATE_TIMING: RecreateTiming = { waitMs: 20_000, pollMs: 250 };

export interface RecreateDeps {
  http: KubeHttp;
  now: () => number;
}

interface Target {
  kind: ResourceKind;
  namespace: string | undefined;
  name: string;
}

const MetaOnly = z.object({ metadata: ObjectMeta });

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The object's uid now, or undefined once it is gone. */
const liveUid = async (http: KubeHttp, t: Target): Promise<string | undefined> => {
  try {
    return MetaOnly.parse(await http.request("GET", objectPath(t.kind, t.namespace, t.name))).metadata.uid ?? "";
  } catch (e) {
    if (isDriverError(e, "k8s_not_found")) return undefined;
    throw e;
  }
};

/** Poll until the object with `uid` is gone (404, or replaced by another uid); false when `waitMs` ran out. */
export const waitUntilGone = async (
  deps: RecreateDeps,
  t: Target,
  uid: string,
  timing: RecreateTiming,
): Promise<boolean> => {
  const deadline = deps.now() + timing.waitMs;
  for (;;) {
    const now = await liveUid(deps.http, t);
    if (now === undefined || now !== uid) return true;
    if (deps.now() >= deadline) return false;
    await sleep(timing.pollMs);
  }
};

/**
 * Delete the object Gantry saw (uid precondition: never one that replaced it meanwhile) with Foreground
 * propagation, so its pods are gone before it is (a recreated Job must not run beside the old one's pods,
 * nor double-book their GPUs), then wait for it. True: gone, apply may create the new one.
 */
export const deleteAndWait = async (
  deps: RecreateDeps,
  t: Target,
  uid: string,
  timing: RecreateTiming,
): Promise<boolean> => {
  try {
    await deps.http.request("DELETE", objectPath(t.kind, t.namespace, t.name), {
      body: { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: "Foreground", preconditions: { uid } },
      contentType: "application/json",
    });
  } catch (e) {
    // Gone already, or replaced by another object (precondition failed): nothing of ours is left to delete.
    if (isDriverError(e, "k8s_not_found") || isDriverError(e, "k8s_conflict")) return true;
    throw e;
  }
  return waitUntilGone(deps, t, uid, timing);
};
