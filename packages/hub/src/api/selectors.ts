import { type LabelSelector, matches, parseLabelSelector } from "@gantry/shared";
import { and, type SQL, sql } from "drizzle-orm";
import { workloads } from "../store/schema.ts";

/** A workload's labels in its stored manifest (jsonb), as SQL. */
const labels = sql`(${workloads.manifest} -> 'metadata' -> 'labels')`;

/**
 * A label selector as a condition on workload rows, so a filtered list pages in the database (a page of 100 is 100
 * matches, not 100 rows filtered afterwards). Semantics as `matches` (Kubernetes' `labels.Selector`).
 */
export const selectorSql = (selector: LabelSelector): SQL | undefined => {
  const parts: SQL[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels)) parts.push(sql`${labels} ->> ${key} = ${value}`);
  for (const r of selector.matchExpressions) {
    const has = sql`coalesce(${labels} ? ${r.key}, false)`;
    if (r.operator === "Exists") parts.push(has);
    else if (r.operator === "DoesNotExist") parts.push(sql`not ${has}`);
    else {
      const list = sql.join(
        r.values.map((v) => sql`${v}`),
        sql`, `,
      );
      const inList = sql`(${labels} ->> ${r.key}) in (${list})`;
      parts.push(r.operator === "In" ? sql`(${has} and ${inList})` : sql`not (${has} and ${inList})`);
    }
  }
  return parts.length === 0 ? undefined : and(...parts);
};

/** `?labelSelector=` (the `-l` string form) as SQL on workloads; a bad selector is a 400 naming the field. */
export const workloadLabelFilter = (text: string | undefined): SQL | undefined =>
  text === undefined || text.trim() === "" ? undefined : selectorSql(parseLabelSelector(text));

/** `?labelSelector=` as a predicate on a label map (clusters live in memory). */
export const labelMatcher = (text: string | undefined): ((labels: Record<string, string>) => boolean) | undefined => {
  if (text === undefined || text.trim() === "") return undefined;
  const selector = parseLabelSelector(text);
  return (l) => matches(selector, l);
};
