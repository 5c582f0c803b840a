import type { ScorePlugin } from "../framework.ts";

/**
 * Best fit: 100 when the placement fills the nodes it touches exactly, lower when it strands GPUs that no replica
 * of this shape could use. Keeps whole free nodes for later gangs. GPU-less workloads score 100.
 */
export const availabilityScorer: ScorePlugin = {
  name: "availability",
  score(c, req) {
    const used = c.take * req.gpus;
    return used === 0 ? 100 : (100 * used) / (used + c.strandedGpus);
  },
  explain(c, req) {
    if (req.gpus === 0) return undefined;
    return {
      code: "availability",
      message: `leaves ${c.freeAfter} free ${c.model ?? "GPU"}; ${c.strandedGpus} stranded on the nodes it uses`,
    };
  },
};
