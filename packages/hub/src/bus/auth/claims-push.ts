import { connect, jwtAuthenticator } from "@nats-io/transport-node";
import { z } from "zod";
import { NatsAuthError } from "./errors.ts";

/** What nats-server answers on `$SYS.REQ.ACCOUNT.<account>.CLAIMS.UPDATE` (server/accounts.go, 2.9). */
const ClaimsUpdateReply = z.looseObject({
  data: z.looseObject({ code: z.number(), message: z.string().optional() }).optional(),
  error: z.looseObject({ code: z.number(), description: z.string().optional() }).optional(),
});

/** The subject a `full` resolver listens on for one account's new JWT. */
export const claimsUpdateSubject = (accountPublicKey: string): string =>
  `$SYS.REQ.ACCOUNT.${accountPublicKey}.CLAIMS.UPDATE`;

/**
 * Why a claims-update reply is not a success, or undefined when it is. The server answers 200 once
 * the JWT is stored and applied (revoked clients are already closed by then).
 */
export const claimsUpdateFailure = (reply: unknown): string | undefined => {
  const parsed = ClaimsUpdateReply.safeParse(reply);
  if (!parsed.success) return "the server's answer is not a claims-update reply";
  const { data, error } = parsed.data;
  if (error) return `the server refused the account JWT (${error.code}): ${error.description ?? "no description"}`;
  if (data?.code !== 200) return `the server answered code ${data?.code ?? "none"}: ${data?.message ?? ""}`.trim();
  return undefined;
};

export interface ClaimsPush {
  servers: string | string[];
  /** A SYS-account user allowed to publish on the claims-update subject. */
  pusher: { jwt: string; seed: string };
  accountPublicKey: string;
  accountJwt: string;
  timeoutMs: number;
}

/**
 * Pushes an account JWT to a running server as a SYS user and waits for the server's verdict. One
 * short connection per push: revocations are rare, and a long-lived SYS connection would be one
 * more thing to keep healthy across server restarts.
 */
export const pushAccountClaims = async (push: ClaimsPush): Promise<void> => {
  let nc: Awaited<ReturnType<typeof connect>>;
  try {
    nc = await connect({
      servers: push.servers,
      name: "gantry-nats-authority",
      authenticator: jwtAuthenticator(push.pusher.jwt, new TextEncoder().encode(push.pusher.seed)),
      timeout: push.timeoutMs,
      maxReconnectAttempts: 0,
    });
  } catch (error) {
    throw new NatsAuthError(
      "claims_update_failed",
      `cannot reach nats-server to push the account JWT: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  try {
    const reply = await nc.request(claimsUpdateSubject(push.accountPublicKey), push.accountJwt, {
      timeout: push.timeoutMs,
    });
    let body: unknown;
    try {
      body = reply.json();
    } catch {
      body = undefined;
    }
    const failure = claimsUpdateFailure(body);
    if (failure) throw new NatsAuthError("claims_update_failed", failure);
  } catch (error) {
    if (error instanceof NatsAuthError) throw error;
    throw new NatsAuthError("claims_update_failed", `pushing the account JWT failed: ${String(error)}`, {
      cause: error,
    });
  } finally {
    await nc.close();
  }
};
