import { createServer } from "node:net";

const listenOn = (port: number): Promise<number | undefined> =>
  new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(undefined));
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });

/** A TCP port that was free a moment ago on 127.0.0.1. */
export const freePort = async (): Promise<number> => {
  const port = await listenOn(0);
  if (port === undefined) throw new Error("no free TCP port on 127.0.0.1");
  return port;
};

/** `preferred` if nothing listens on it, else any free port. */
export const preferredOrFreePort = async (preferred: number): Promise<number> =>
  (await listenOn(preferred)) ?? freePort();
