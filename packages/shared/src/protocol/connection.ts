/**
 * nats.js ignores credentials in a server URL, so `nats://user:pass@host:4222` would connect
 * anonymously and be refused; lift them into the connect options instead.
 */
export const natsServerOptions = (natsUrl: string): { servers: string; user?: string; pass?: string } => {
  const url = URL.canParse(natsUrl) ? new URL(natsUrl) : undefined;
  if (!url?.username) return { servers: natsUrl };
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  url.username = "";
  url.password = "";
  return { servers: url.toString().replace(/\/$/, ""), user, pass };
};
