import { parseWith, readDocument as readText, type SourceDocument } from "@gantry/shared";
import type { Context } from "hono";
import type { z } from "zod";
import { HubError } from "../errors.ts";

const JSON_TYPE = /^application\/(json|[a-z0-9.+-]*\+json)$/;
const YAML_TYPE = /^(application|text)\/(yaml|x-yaml)$/;
/** What clients send when they do not say (curl's default, a plain upload): parsed as YAML, which JSON is too. */
const GENERIC_TYPE = /^(text\/plain|application\/x-www-form-urlencoded|application\/octet-stream)$/;

/** The media type without parameters (`application/json; charset=utf-8` → `application/json`), lower-cased. */
export const mediaType = (header: string | undefined): string => (header ?? "").split(";")[0]!.trim().toLowerCase();

/**
 * Read a JSON or YAML request body as plain data. JSON types, the YAML types (`application/yaml`,
 * `application/x-yaml`, `text/yaml`) and generic or missing types are accepted; anything else is 415. Malformed input
 * is 400 with the parser's line and column (from `parseDocument`).
 */
export const readDocument = async (c: Context, source = "body"): Promise<unknown> =>
  (await readSource(c, source)).value;

/** `readDocument` with where each path is in the text, so schema errors can give their field's line and column. */
export const readSource = async (c: Context, source = "body"): Promise<SourceDocument> => {
  const type = mediaType(c.req.header("content-type"));
  if (type !== "" && !JSON_TYPE.test(type) && !YAML_TYPE.test(type) && !GENERIC_TYPE.test(type)) {
    throw new HubError(
      "unsupported_media_type",
      `send JSON or YAML (application/json, application/yaml, application/x-yaml or text/yaml), not ${type}`,
    );
  }
  const text = await c.req.text();
  if (text.trim() === "") throw new HubError("bad_request", "the request body is empty");
  if (text.includes("\u0000")) throw new HubError("bad_request", "the request body contains a NUL character");
  return readText(text, source);
};

/** Read a body and parse it with `schema`; errors name the field. */
export const readBody = async <S extends z.ZodType>(c: Context, schema: S, source = "body"): Promise<z.infer<S>> =>
  parseAt(schema, await readSource(c, source), source);

/** Parse a read document with `schema`; each issue carries its field's line and column. */
export const parseAt = <S extends z.ZodType>(schema: S, doc: SourceDocument, source: string): z.infer<S> =>
  parseWith(schema, doc.value, source, doc.locate);
