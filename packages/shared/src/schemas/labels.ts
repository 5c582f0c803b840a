import { z } from "zod";
import { boundedRecord, LIMITS } from "./limits.ts";

/*
 * Label keys and values as Kubernetes validates them: a port of k8s.io/apimachinery/pkg/util/validation
 * (`IsQualifiedName`, `IsValidLabelValue`, `IsDNS1123Subdomain`), regexes and messages included, so a label Gantry
 * accepts is one the cluster's API server accepts when the agent copies it onto an object.
 */

const QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_MAX = 63;
const LABEL_VALUE = new RegExp(`^(${QUALIFIED_NAME_FMT})?$`);
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*$`);
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MAX = 253;

const regexError = (msg: string, fmt: string, ...examples: string[]): string =>
  `${msg} (e.g. ${examples.map((e) => `'${e}'`).join(" or ")}, regex used for validation is '${fmt}')`;

/** `IsDNS1123Subdomain`: what is wrong with `value` as a DNS-1123 subdomain; empty when it is one. */
export const dns1123SubdomainErrors = (value: string): string[] => {
  const errs: string[] = [];
  // Unlike Kubernetes, an over-long value is not also matched against the regex: one message, and no regex run
  // over a megabyte of input.
  if (value.length > DNS1123_SUBDOMAIN_MAX) return [`must be no more than ${DNS1123_SUBDOMAIN_MAX} characters`];
  if (!DNS1123_SUBDOMAIN.test(value)) {
    errs.push(regexError(DNS1123_SUBDOMAIN_MSG, `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`, "example.com"));
  }
  return errs;
};

/**
 * `IsQualifiedName` (= `ValidateLabelName`): label keys, taint and toleration keys. An optional DNS-1123 subdomain
 * prefix and "/", then a name of at most 63 characters. Empty when `value` is one.
 */
export const qualifiedNameErrors = (value: string): string[] => {
  const errs: string[] = [];
  const parts = value.split("/");
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push("prefix part must be non-empty");
    else errs.push(...dns1123SubdomainErrors(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push("name part must be non-empty");
  else if (name.length > QUALIFIED_NAME_MAX)
    return [...errs, `name part must be no more than ${QUALIFIED_NAME_MAX} characters`];
  if (!QUALIFIED_NAME.test(name)) {
    errs.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")}`);
  }
  return errs;
};

/** `IsValidLabelValue`: at most 63 characters, may be empty. Empty when `value` is one. */
export const labelValueErrors = (value: string): string[] => {
  const errs: string[] = [];
  if (value.length > LIMITS.labelValueLength.value) {
    return [`must be no more than ${LIMITS.labelValueLength.value} characters`];
  }
  if (!LABEL_VALUE.test(value))
    errs.push(regexError(LABEL_VALUE_MSG, `(${QUALIFIED_NAME_FMT})?`, "MyValue", "my_value", "12345"));
  return errs;
};

/** A zod string checked by one of the functions above, one issue per problem. */
const checkedString = (errorsOf: (v: string) => string[]) =>
  z.string().superRefine((value, ctx) => {
    for (const message of errorsOf(value)) ctx.addIssue({ code: "custom", message });
  });

/** A label key, taint key or toleration key (`example.com/name`). */
export const LabelKey = checkedString(qualifiedNameErrors);
/** A label value (may be empty). */
export const LabelValue = checkedString(labelValueErrors);

/** Labels on an object: qualified-name keys, label values, at most `LIMITS.labels` of them. */
export const Labels = boundedRecord(LabelKey, LabelValue, LIMITS.labels);
export type Labels = z.infer<typeof Labels>;
