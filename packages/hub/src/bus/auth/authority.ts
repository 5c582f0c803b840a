import type { RevocationList } from "@nats-io/jwt";
import { createAccount, createOperator, createUser, type KeyPair } from "@nats-io/nkeys";
import { z } from "zod";
import { type Clock, systemClock } from "../../util/clock.ts";
import { signGantryAccount, signOperator, signSystemAccount, signUser } from "./claims.ts";
import { pushAccountClaims } from "./claims-push.ts";
import { NatsAuthError } from "./errors.ts";
import { checkedClaims, credsText, isUserPublicKey, keyFromSeed, seedOf } from "./keys.ts";
import { claimsPusherPermissions, hubPermissions, isSubjectFilter, type UserPermissions } from "./permissions.ts";
import { type ServerConfigOptions, serverConfigText } from "./server-config.ts";
import { type AuthorityFile, createAuthorityFile, readAuthorityFile, replaceAuthorityFile } from "./state-file.ts";

const SubjectFilter = z.string().refine(isSubjectFilter, "must be a NATS subject ('*' a whole token, '>' last)");

export const MintUserInput = z.strictObject({
  /** Shown in server logs and monitoring; the cluster name for an agent. */
  name: z
    .string()
    .min(1)
    .max(128)
    .regex(/^\P{Cc}+$/u, "must not contain control characters"),
  permissions: z.strictObject({
    publish: z.array(SubjectFilter),
    subscribe: z.array(SubjectFilter),
    allowResponses: z.boolean().optional(),
  }),
  expiresAt: z.date().optional(),
});
export type MintUserInput = z.input<typeof MintUserInput>;

/** A user identity: give `creds` to the client; keep `publicKey` to revoke it later. */
export interface MintedUser {
  publicKey: string;
  jwt: string;
  seed: string;
  /** The standard `.creds` file text. */
  creds: string;
  issuedAt: Date;
  expiresAt?: Date;
}

export interface Revocation {
  publicKey: string;
  /** JWTs of this key issued at or before this second are refused. */
  at: Date;
  /** Whether a running server took the new account JWT (false when no `servers` were given). */
  pushed: boolean;
}

export interface OpenNatsAuthorityOptions {
  /** Holds the seeds and the current account JWT (mode 0700 folder, 0600 file). */
  dir: string;
  /** Where running servers listen; revocations are pushed there. Without it they wait for a restart. */
  servers?: string | string[];
  clock?: Clock;
  /** How long to wait for a server to take an account update. */
  pushTimeoutMs?: number;
}

/**
 * The hub's NATS authority: the only holder of the operator and account keys, so the only minter
 * of identities the server accepts. Operator → accounts SYS and GANTRY → users; hub and agents
 * are users of GANTRY, each confined by the permissions in its JWT.
 */
export interface NatsAuthority {
  readonly operatorPublicKey: string;
  readonly systemAccountPublicKey: string;
  /** The GANTRY account, where the hub and every agent live. */
  readonly accountPublicKey: string;
  /** The nats-server config trusting this operator with the current account JWTs preloaded. */
  serverConfig(options: ServerConfigOptions): string;
  /** A new key pair and a user JWT for it, signed by the GANTRY account. */
  mintUser(input: MintUserInput): Promise<MintedUser>;
  /** The hub's own identity (`hubPermissions()`), minted on first call and kept in `dir`. */
  hubCreds(): Promise<MintedUser>;
  /** Revokes a user key: re-signs the account JWT, persists it, then pushes it to `servers`. */
  revoke(publicKey: string, at?: Date): Promise<Revocation>;
  /** Pushes the current account JWT again (after a push failed, or to a server that was down). */
  pushAccount(): Promise<void>;
  /** Revoked user keys and the second up to which their JWTs are refused. */
  revocations(): ReadonlyMap<string, Date>;
}

interface Loaded {
  file: AuthorityFile;
  operator: KeyPair;
  systemAccount: KeyPair;
  account: KeyPair;
  revocations: RevocationList;
  /** Unix seconds of the current account JWT. */
  accountIssuedAt: number;
}

const toSeconds = (d: Date): number => Math.floor(d.getTime() / 1000);

/**
 * Signs the next account JWT strictly later (in whole seconds) than `previousIat`. nats-server keeps
 * whichever of two account JWTs has the later issue time and lets an equal one overwrite, so a stale
 * preload signed in the same second as a revocation would undo it on restart. The JWT library stamps
 * `iat` from the wall clock (not our Clock), so this waits on the wall clock: at most a second, and
 * only when two account changes fall in the same second.
 */
const signAccountAfter = async (previousIat: number, sign: () => Promise<string>): Promise<string> => {
  const wait = (previousIat + 1) * 1000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait + 5));
  return sign();
};

const mint = async (
  account: KeyPair,
  name: string,
  permissions: UserPermissions,
  expiresAt?: Date,
): Promise<MintedUser> => {
  const user = createUser();
  const jwt = await signUser(name, user, account, permissions, expiresAt && toSeconds(expiresAt));
  return fromStored({ seed: seedOf(user), jwt }, account.getPublicKey(), "minted user");
};

const fromStored = (stored: { seed: string; jwt: string }, issuer: string, what: string): MintedUser => {
  const kp = keyFromSeed(stored.seed, "U", what);
  const claims = checkedClaims(stored.jwt, { sub: kp.getPublicKey(), iss: issuer, type: "user" }, what);
  return {
    publicKey: kp.getPublicKey(),
    jwt: stored.jwt,
    seed: stored.seed,
    creds: credsText(stored.jwt, kp),
    issuedAt: new Date(claims.iat * 1000),
    ...(claims.exp === undefined ? {} : { expiresAt: new Date(claims.exp * 1000) }),
  };
};

const freshState = async (): Promise<AuthorityFile> => {
  const operator = createOperator();
  const systemAccount = createAccount();
  const account = createAccount();
  const pusher = createUser();
  return {
    version: 1,
    operator: { seed: seedOf(operator), jwt: await signOperator(operator, systemAccount.getPublicKey()) },
    systemAccount: { seed: seedOf(systemAccount), jwt: await signSystemAccount(systemAccount, operator) },
    account: { seed: seedOf(account), jwt: await signGantryAccount(account, operator, {}) },
    claimsPusher: {
      seed: seedOf(pusher),
      jwt: await signUser("gantry-claims-pusher", pusher, systemAccount, claimsPusherPermissions()),
    },
  };
};

/** Checks that every stored key and JWT belongs to the same chain of trust. */
const load = (file: AuthorityFile): Loaded => {
  const operator = keyFromSeed(file.operator.seed, "O", "operator");
  const systemAccount = keyFromSeed(file.systemAccount.seed, "A", "system account");
  const account = keyFromSeed(file.account.seed, "A", "GANTRY account");
  const op = operator.getPublicKey();
  const sys = systemAccount.getPublicKey();
  const operatorClaims = checkedClaims(file.operator.jwt, { sub: op, iss: op, type: "operator" }, "operator");
  if (operatorClaims.nats.system_account !== sys) {
    throw new NatsAuthError("authority_corrupt", "operator: the stored JWT names another system account");
  }
  checkedClaims(file.systemAccount.jwt, { sub: sys, iss: op, type: "account" }, "system account");
  const accountClaims = checkedClaims(
    file.account.jwt,
    { sub: account.getPublicKey(), iss: op, type: "account" },
    "GANTRY account",
  );
  fromStored(file.claimsPusher, sys, "claims pusher");
  if (file.hub) fromStored(file.hub, account.getPublicKey(), "hub user");
  return {
    file,
    operator,
    systemAccount,
    account,
    revocations: { ...accountClaims.nats.revocations },
    accountIssuedAt: accountClaims.iat,
  };
};

/** Opens the authority in `dir`, creating the operator, accounts and SYS user on first use. */
export const openNatsAuthority = async (options: OpenNatsAuthorityOptions): Promise<NatsAuthority> => {
  const clock = options.clock ?? systemClock;
  const pushTimeoutMs = options.pushTimeoutMs ?? 5_000;
  let existing = await readAuthorityFile(options.dir);
  if (!existing) {
    const fresh = await freshState();
    existing = (await createAuthorityFile(options.dir, fresh)) ? fresh : await readAuthorityFile(options.dir);
    if (!existing) throw new NatsAuthError("authority_corrupt", `${options.dir}: the state file vanished`);
  }
  let state = load(existing);

  // Every change is read-modify-write of one file and, for revocations, a push whose order matters
  // (a server keeps the JWT with the later issue time): run them one at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };
  const save = async (file: AuthorityFile) => {
    const next = load(file);
    await replaceAuthorityFile(options.dir, file);
    state = next;
  };
  const push = async (): Promise<boolean> => {
    if (!options.servers) return false;
    await pushAccountClaims({
      servers: options.servers,
      pusher: state.file.claimsPusher,
      accountPublicKey: state.account.getPublicKey(),
      accountJwt: state.file.account.jwt,
      timeoutMs: pushTimeoutMs,
    });
    return true;
  };

  return {
    operatorPublicKey: state.operator.getPublicKey(),
    systemAccountPublicKey: state.systemAccount.getPublicKey(),
    accountPublicKey: state.account.getPublicKey(),

    serverConfig: (config) =>
      serverConfigText(config, {
        operatorJwt: state.file.operator.jwt,
        systemAccountPublicKey: state.systemAccount.getPublicKey(),
        accounts: {
          [state.systemAccount.getPublicKey()]: state.file.systemAccount.jwt,
          [state.account.getPublicKey()]: state.file.account.jwt,
        },
      }),

    async mintUser(input) {
      const parsed = MintUserInput.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new NatsAuthError("invalid_user", `${issue?.path.join(".") || "input"}: ${issue?.message ?? "invalid"}`);
      }
      const { name, permissions, expiresAt } = parsed.data;
      if (expiresAt && toSeconds(expiresAt) <= toSeconds(clock.now())) {
        throw new NatsAuthError("invalid_user", "expiresAt: must be in the future");
      }
      return mint(state.account, name, permissions, expiresAt);
    },

    hubCreds: () =>
      serialized(async () => {
        if (state.file.hub) return fromStored(state.file.hub, state.account.getPublicKey(), "hub user");
        const hub = await mint(state.account, "gantry-hub", hubPermissions());
        await save({ ...state.file, hub: { seed: hub.seed, jwt: hub.jwt } });
        return hub;
      }),

    revoke(publicKey, at) {
      if (!isUserPublicKey(publicKey)) {
        return Promise.reject(
          new NatsAuthError("invalid_public_key", `${JSON.stringify(publicKey)} is not an nkeys user public key`),
        );
      }
      const seconds = toSeconds(at ?? clock.now());
      return serialized(async () => {
        // A later revocation covers an earlier one (JWTs issued up to that second); never move it back.
        const revocations = { ...state.revocations, [publicKey]: Math.max(state.revocations[publicKey] ?? 0, seconds) };
        const accountJwt = await signAccountAfter(state.accountIssuedAt, () =>
          signGantryAccount(state.account, state.operator, revocations),
        );
        const hubKey = state.file.hub && keyFromSeed(state.file.hub.seed, "U", "hub user").getPublicKey();
        // Revoking the hub's own key means the next hubCreds() mints a fresh one.
        const { hub, ...withoutHub } = state.file;
        const kept = hubKey === publicKey ? withoutHub : { ...withoutHub, hub };
        await save({ ...kept, account: { seed: state.file.account.seed, jwt: accountJwt } });
        let pushed: boolean;
        try {
          pushed = await push();
        } catch (error) {
          if (!(error instanceof NatsAuthError)) throw error;
          throw new NatsAuthError(
            error.code,
            `${error.message} (the revocation is saved: a server started from serverConfig() enforces it; pushAccount() retries)`,
            { cause: error },
          );
        }
        return { publicKey, at: new Date((revocations[publicKey] ?? seconds) * 1000), pushed };
      });
    },

    pushAccount: () =>
      serialized(async () => {
        if (!(await push())) {
          throw new NatsAuthError("claims_update_failed", "no servers were given to openNatsAuthority to push to");
        }
      }),

    revocations: () =>
      new Map(Object.entries(state.revocations).map(([key, seconds]) => [key, new Date(seconds * 1000)])),
  };
};
