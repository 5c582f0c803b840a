import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's chromium (scripts/bootstrap.sh installs it); playwright-core drives it, no browser download. */
export const CHROMIUM = process.env.GANTRY_CHROMIUM ?? "/usr/bin/chromium";

/** A headless Chromium for the console tests. */
export const launchChromium = async (): Promise<Browser> => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: run scripts/bootstrap.sh (apt-get install chromium) or set GANTRY_CHROMIUM`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
  });
};
