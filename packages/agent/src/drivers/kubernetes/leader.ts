import type { Leadership } from "../driver.ts";
import { isDriverError } from "./errors.ts";
import type { KubeHttp } from "./http.ts";
import type { DriverLogger } from "./options.ts";
import { KubeLease } from "./schemas.ts";

export interface LeaseElectorOptions {
  http: KubeHttp;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  renewIntervalMs: number;
  now: () => number;
  logger: DriverLogger;
}

/** Lease times are MicroTime: RFC 3339 with exactly six fractional digits. */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

/**
 * Leader election over a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
 * the holder renews every `renewIntervalMs`; others take over once the record has not changed for
 * `leaseDurationSeconds` of *their own* clock (so clock skew between nodes does not matter); writes
 * carry the resourceVersion, so two candidates racing for an expired lease cannot both win.
 */
export class LeaseElector implements Leadership {
  private leader = false;
  private readonly listeners: ((leader: boolean) => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private observed = "";
  private observedAt = 0;
  private lastRenew = 0;
  private running: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly o: LeaseElectorOptions) {}

  isLeader(): boolean {
    return this.leader;
  }

  onChange(listener: (leader: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** First attempt now (so a lone agent leads at once), then one per renew interval. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.tick());
    }, this.o.renewIntervalMs);
  }

  /** Stop campaigning. With `release`, hand the lease back so a successor need not wait for expiry. */
  async close(options: { release?: boolean } = { release: true }): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    if (this.leader && options.release) {
      try {
        const lease = await this.get();
        if (lease?.spec.holderIdentity === this.o.identity) {
          await this.put(lease, { holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime(this.o.now()) });
        }
      } catch (e) {
        this.o.logger.warn({ err: e instanceof Error ? e.message : String(e) }, "could not release leader lease");
      }
    }
    this.set(false);
  }

  private path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases/${this.o.name}`;
  }

  private async get(): Promise<KubeLease | undefined> {
    try {
      return KubeLease.parse(await this.o.http.request("GET", this.path()));
    } catch (e) {
      if (isDriverError(e, "k8s_not_found")) return undefined;
      throw e;
    }
  }

  private async put(lease: KubeLease, spec: Record<string, unknown>): Promise<void> {
    await this.o.http.request("PUT", this.path(), {
      body: {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: this.o.name, namespace: this.o.namespace, resourceVersion: lease.metadata.resourceVersion },
        spec: { ...lease.spec, ...spec },
      },
      contentType: "application/json",
    });
  }

  private set(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.o.logger.info({ identity: this.o.identity, leader }, leader ? "became leader" : "lost leadership");
    for (const l of this.listeners) l(leader);
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    const now = this.o.now();
    try {
      this.set(await this.tryAcquireOrRenew(now));
      if (this.leader) this.lastRenew = now;
    } catch (e) {
      // Conflict: someone else wrote first. Other errors: we cannot prove we still hold the lease, so we
      // step down before it could expire for the others (duration minus one renew interval).
      if (!isDriverError(e, "k8s_conflict")) {
        this.o.logger.warn({ err: e instanceof Error ? e.message : String(e) }, "lease renewal failed");
      }
      if (this.leader && now - this.lastRenew > this.o.leaseDurationSeconds * 1000 - this.o.renewIntervalMs) {
        this.set(false);
      } else if (!this.leader) this.set(false);
    }
  }

  private async tryAcquireOrRenew(now: number): Promise<boolean> {
    const lease = await this.get();
    const stamp = microTime(now);
    if (!lease) {
      await this.o.http.request("POST", `/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases`, {
        body: {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: this.o.name, namespace: this.o.namespace },
          spec: {
            holderIdentity: this.o.identity,
            leaseDurationSeconds: this.o.leaseDurationSeconds,
            acquireTime: stamp,
            renewTime: stamp,
            leaseTransitions: 0,
          },
        },
        contentType: "application/json",
      });
      return true;
    }
    const record = `${lease.spec.holderIdentity ?? ""}|${lease.spec.renewTime ?? ""}`;
    if (record !== this.observed) {
      this.observed = record;
      this.observedAt = now;
    }
    const holder = lease.spec.holderIdentity ?? "";
    if (holder === this.o.identity) {
      await this.put(lease, { renewTime: stamp, leaseDurationSeconds: this.o.leaseDurationSeconds });
      return true;
    }
    const duration = (lease.spec.leaseDurationSeconds ?? this.o.leaseDurationSeconds) * 1000;
    if (holder !== "" && now - this.observedAt < duration) return false;
    await this.put(lease, {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: this.o.leaseDurationSeconds,
      acquireTime: stamp,
      renewTime: stamp,
      leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1,
    });
    return true;
  }
}
