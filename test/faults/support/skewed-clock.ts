/**
 * Preloaded (`node --import`) into an agent process to give it a wrong wall clock, as a machine with a badly set
 * clock has: `Date.now()` and `new Date()` are off by GANTRY_TEST_CLOCK_OFFSET_MS; `performance.now()` (monotonic)
 * is untouched, as it is on such a machine. No Gantry code knows about it.
 */
const offset = Number(process.env.GANTRY_TEST_CLOCK_OFFSET_MS ?? "0");

if (Number.isFinite(offset) && offset !== 0) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class SkewedDate extends RealDate {
    constructor(...args: ConstructorParameters<DateConstructor> | []) {
      if (args.length === 0) super(realNow() + offset);
      else super(...(args as ConstructorParameters<DateConstructor>));
    }
    static override now(): number {
      return realNow() + offset;
    }
  }
  globalThis.Date = SkewedDate as DateConstructor;
}
