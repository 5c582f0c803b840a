import { parseDocument, parseWith } from "@gantry/shared";
import type { Context } from "hono";
import type { z } from "zod";
import { HubError } from "../errors.ts";

const accepted = /^(application\/(json|yaml|x-yaml|[a-z.+-]*\+json)|text\/(yaml|x-yaml|plain))\b/i;

/** Read a JSON or YAML request body and parse it with `schema`; errors name the field. */
export const readBody = async <S extends z.ZodType>(c: Context, schema: S, source = "body"): Promise<z.infer<S>> => {
  const type = c.req.header("content-type") ?? "application/json";
  if (!accepted.test(type)) {
    throw new HubError(
      "unsupported_media_type",
      `send JSON or YAML (application/json or application/yaml), not ${type}`,
    );
  }
  const text = await c.req.text();
  if (text.trim() === "") throw new HubError("bad_request", "the request body is empty");
  return parseWith(schema, parseDocument(text, source), source);
};
