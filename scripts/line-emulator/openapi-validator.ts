/**
 * Request-body validation against LINE's Messaging API OpenAPI spec (line/line-openapi).
 *
 * Node-only (used by the LINE emulator). Two spec features need pre-processing before Ajv
 * can check them faithfully:
 *
 * 1. Inheritance-style discriminators. LINE writes polymorphism as a base schema with a
 *    `discriminator` (e.g. `Message`, mapping `text` -> `TextMessage`) and subtypes
 *    `TextMessage: {allOf: [{$ref: Message}, {...own fields}]}`. Ajv only understands
 *    discriminators on `oneOf`, so a plain `$ref: Message` would check just the base fields
 *    and a `{type: 'text'}` without `text` would pass. We generate `Message__poly`, which
 *    requires the discriminator property, restricts it to the mapping keys and applies the
 *    mapped subtype with if/then, and point every reference to `Message` at it — except the
 *    subtypes' own `allOf: [{$ref: Message}]`, which must keep the plain base (or it recurses).
 * 2. OpenAPI 3.0 `nullable: true`, which is not JSON Schema: it becomes `type: [T, 'null']`.
 *
 * And the file is looser than LINE's reference in places the bot's Flex lists and buttons depend
 * on (a postback without data, a quick reply without an action, a text component without text,
 * an altText over 1500 characters all pass it, and LINE answers 400): `DOCUMENTED_RULES` adds
 * those rules from the reference, each to the schema it belongs to.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

/** The spec copy shipped with the repo (never /work/shared: the project must be self-contained). */
export const DEFAULT_SPEC_PATH = fileURLToPath(
  new URL('../../test/fixtures/line-openapi/messaging-api.yml', import.meta.url),
);

/** One problem in a body, shaped like the `details` entries of LINE's own 400 responses. */
export interface ValidationDetail {
  message: string;
  /** Dotted path into the body, e.g. `messages[0].text`; '' for the body itself. */
  property: string;
}

export interface ValidationResult {
  operationId?: string;
  /** Human-readable `property: message` lines; empty when the request is valid. */
  errors: string[];
  /** The same problems as structured LINE-style details (empty when valid or when the path is unknown). */
  details: ValidationDetail[];
}

export interface OperationMatch {
  operationId: string;
  method: string;
  /** The spec's path template, e.g. `/v2/bot/profile/{userId}`. */
  template: string;
  /** Decoded path parameters, e.g. `{userId: 'U123'}`. */
  params: Record<string, string>;
  /** The spec's operation object (responses, parameters, ...). */
  operation: OpenApiOperation;
}

export interface OpenApiValidator {
  validateRequest(method: string, pathname: string, body: unknown): ValidationResult;
  /** Finds the operation for a request; `{pathKnown}` tells 404 (unknown path) from 405 (wrong method). */
  findOperation(method: string, pathname: string): OperationMatch | { pathKnown: boolean };
  /** The loaded (unmodified) spec, for callers that need response schemas. */
  spec: OpenApiDocument;
}

// Minimal structural types for the parts of OpenAPI 3.0 we touch.
type Schema = Record<string, unknown>;
export interface OpenApiOperation {
  operationId?: string;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }>; $ref?: string };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  [key: string]: unknown;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, Schema>; requestBodies?: Record<string, unknown> };
  [key: string]: unknown;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const SCHEMA_REF_PREFIX = '#/components/schemas/';
const POLY_SUFFIX = '__poly';
/** $id under which the pre-processed schemas are registered with Ajv. */
const DOC_ID = 'line-messaging-api.json';

// ajv-formats is CommonJS with `exports.default`; under NodeNext typing the default import is the
// module object, at run time it is the function itself (which also carries `.default`).
const addFormats = ((addFormatsImport as unknown as { default?: unknown }).default ?? addFormatsImport) as unknown as (
  ajv: Ajv,
) => Ajv;

export function createOpenApiValidator(specPath: string = DEFAULT_SPEC_PATH): OpenApiValidator {
  const spec = parseYaml(readFileSync(specPath, 'utf8')) as OpenApiDocument;
  const routes = buildRoutes(spec);

  const prepared = prepareSchemas(spec);
  // strict: false because the spec carries OpenAPI-only keywords (example, x-enum-varnames, ...).
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  addFormats(ajv);
  ajv.addSchema(prepared.document, DOC_ID);

  // Compile lazily: most of the ~80 operations are never called in a test run.
  const compiled = new Map<string, ValidateFunction | null>();
  const validatorFor = (operationId: string): ValidateFunction | null => {
    if (!compiled.has(operationId)) {
      const has = operationId in prepared.bodySchemas;
      compiled.set(operationId, has ? ajv.compile({ $ref: `${DOC_ID}#/operations/${operationId}` }) : null);
    }
    return compiled.get(operationId)!;
  };

  const findOperation: OpenApiValidator['findOperation'] = (method, pathname) => {
    let pathKnown = false;
    let best: { route: Route; params: Record<string, string> } | undefined;
    for (const route of routes) {
      const m = route.regex.exec(pathname);
      if (!m) continue;
      pathKnown = true;
      if (!route.operations[method.toLowerCase()]) continue;
      // Prefer the most literal template: /v2/bot/richmenu/list over /v2/bot/richmenu/{richMenuId}.
      if (best && best.route.paramNames.length <= route.paramNames.length) continue;
      const params: Record<string, string> = {};
      route.paramNames.forEach((name, i) => (params[name] = safeDecode(m[i + 1]!)));
      best = { route, params };
    }
    if (!best) return { pathKnown };
    const operation = best.route.operations[method.toLowerCase()]!;
    return {
      operationId: operation.operationId ?? `${method.toUpperCase()} ${best.route.template}`,
      method: method.toUpperCase(),
      template: best.route.template,
      params: best.params,
      operation,
    };
  };

  const validateRequest: OpenApiValidator['validateRequest'] = (method, pathname, body) => {
    const match = findOperation(method, pathname);
    if (!('operationId' in match)) {
      const error = match.pathKnown
        ? `${method.toUpperCase()} is not an operation of ${pathname} in the LINE spec`
        : `${method.toUpperCase()} ${pathname} is not a path in the LINE spec`;
      return { errors: [error], details: [] };
    }
    const { operationId } = match;
    const requestBody = resolveRequestBody(spec, match.operation);
    if (body === undefined) {
      // No body sent: only a problem when the spec requires one.
      if (requestBody?.required) {
        const detail = { message: 'request body is required', property: '' };
        return { operationId, errors: [formatDetail(detail)], details: [detail] };
      }
      return { operationId, errors: [], details: [] };
    }
    // Only JSON bodies are validated (rich menu images etc. are binary).
    const validate = validatorFor(operationId);
    if (!validate || validate(body)) return { operationId, errors: [], details: [] };
    const details = toDetails(validate.errors ?? []);
    return { operationId, errors: details.map(formatDetail), details };
  };

  return { validateRequest, findOperation, spec };
}

// ---------------------------------------------------------------------------------------------
// Routing

interface Route {
  template: string;
  regex: RegExp;
  paramNames: string[];
  operations: Record<string, OpenApiOperation>;
}

function buildRoutes(spec: OpenApiDocument): Route[] {
  return Object.entries(spec.paths ?? {}).map(([template, item]) => {
    const paramNames: string[] = [];
    const pattern = template
      .split(/(\{[^}]+\})/)
      .map((part) => {
        const param = /^\{([^}]+)\}$/.exec(part);
        if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        paramNames.push(param[1]!);
        return '([^/]+)';
      })
      .join('');
    const operations: Record<string, OpenApiOperation> = {};
    for (const method of HTTP_METHODS) if (item[method]) operations[method] = item[method]!;
    return { template, regex: new RegExp(`^${pattern}/?$`), paramNames, operations };
  });
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function resolveRequestBody(spec: OpenApiDocument, op: OpenApiOperation): OpenApiOperation['requestBody'] {
  const rb = op.requestBody;
  if (rb?.$ref) return resolvePointer(spec, rb.$ref) as OpenApiOperation['requestBody'];
  return rb;
}

function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`Only local refs are supported: ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
}

// ---------------------------------------------------------------------------------------------
// Schema pre-processing

/**
 * Rules of LINE's Messaging API reference (developers.line.biz/en/reference/messaging-api/) that
 * the OpenAPI file leaves out, added to each named schema as one more `allOf` part.
 */
const DOCUMENTED_RULES: Record<string, Schema> = {
  // Postback action: data is required (max 300), displayText max 300.
  PostbackAction: { required: ['data'], properties: { displayText: { maxLength: 300 } } },
  // Flex message: altText is required, 1 to 1500 characters.
  FlexMessage: { properties: { altText: { minLength: 1, maxLength: 1500 } } },
  // Flex text: `text`, unless it is made of spans (`contents`).
  FlexText: { anyOf: [{ required: ['text'] }, { required: ['contents'] }] },
  // Flex button: its action's label at most 40 characters.
  FlexButton: { properties: { action: { properties: { label: { maxLength: 40 } } } } },
  // Quick reply button: an action whose label is 1 to 20 characters.
  QuickReplyItem: {
    required: ['action'],
    properties: { action: { required: ['label'], properties: { label: { minLength: 1, maxLength: 20 } } } },
  },
};

interface PreparedSchemas {
  /** `{components: {schemas}, operations: {operationId: bodySchema}}`, registered with Ajv. */
  document: Schema;
  bodySchemas: Record<string, Schema>;
}

function prepareSchemas(spec: OpenApiDocument): PreparedSchemas {
  const source = spec.components?.schemas ?? {};
  const schemas: Record<string, Schema> = structuredClone(source);
  for (const [name, rule] of Object.entries(DOCUMENTED_RULES)) {
    const schema = schemas[name];
    if (schema) schema.allOf = [...((schema.allOf as Schema[] | undefined) ?? []), rule];
  }

  // Discriminator bases and, for each, the subtypes that inherit from it via allOf.
  const bases = new Map<string, { propertyName: string; mapping: Record<string, string> }>();
  for (const [name, schema] of Object.entries(schemas)) {
    const d = schema.discriminator as { propertyName?: string; mapping?: Record<string, string> } | undefined;
    if (d?.propertyName && d.mapping) bases.set(name, { propertyName: d.propertyName, mapping: d.mapping });
  }

  // 1. Rewrite refs to bases, except a subtype's own top-level `allOf: [{$ref: Base}]`.
  const inheritanceRefs = new Set<unknown>();
  for (const [name, schema] of Object.entries(schemas)) {
    for (const element of (Array.isArray(schema.allOf) ? schema.allOf : []) as Schema[]) {
      const target = typeof element?.$ref === 'string' ? element.$ref.slice(SCHEMA_REF_PREFIX.length) : '';
      if (Object.values(bases.get(target)?.mapping ?? {}).includes(SCHEMA_REF_PREFIX + name)) {
        inheritanceRefs.add(element);
      }
    }
  }
  const rewrite = (schema: unknown): void =>
    walkSchema(schema, (node) => {
      const ref = node.$ref;
      if (typeof ref !== 'string' || !ref.startsWith(SCHEMA_REF_PREFIX) || inheritanceRefs.has(node)) return;
      const target = ref.slice(SCHEMA_REF_PREFIX.length);
      if (bases.has(target)) node.$ref = SCHEMA_REF_PREFIX + target + POLY_SUFFIX;
    });
  for (const schema of Object.values(schemas)) rewrite(schema);

  // 2. Generate the `__poly` schemas (after the rewrite so they are not rewritten themselves).
  for (const [name, { propertyName, mapping }] of bases) {
    schemas[name + POLY_SUFFIX] = {
      type: 'object',
      // OpenAPI: the discriminator property must be present, else no subtype can be chosen.
      required: [propertyName],
      properties: { [propertyName]: { enum: Object.keys(mapping) } },
      allOf: Object.entries(mapping).map(([value, ref]) => ({
        if: { properties: { [propertyName]: { const: value } }, required: [propertyName] },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, never awaited.
        then: { $ref: ref },
      })),
    };
  }

  // 3. Request body schemas per operation (usually a $ref, sometimes inline).
  const bodySchemas: Record<string, Schema> = {};
  for (const item of Object.values(spec.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!op?.operationId) continue;
      const schema = resolveRequestBody(spec, op)?.content?.['application/json']?.schema;
      if (!schema) continue;
      const copy = structuredClone(schema);
      rewrite(copy);
      bodySchemas[op.operationId] = copy;
    }
  }

  // 4. OpenAPI 3.0 -> JSON Schema keyword fixes on everything.
  for (const schema of [...Object.values(schemas), ...Object.values(bodySchemas)]) walkSchema(schema, fixKeywords);

  return { document: { components: { schemas }, operations: bodySchemas }, bodySchemas };
}

/** `nullable` -> null in `type`/`enum`; drop `discriminator` (handled by the `__poly` schemas). */
function fixKeywords(node: Schema): void {
  if ('nullable' in node) {
    if (node.nullable === true) {
      if (typeof node.type === 'string') node.type = [node.type, 'null'];
      if (Array.isArray(node.enum) && !node.enum.includes(null)) node.enum = [...node.enum, null];
      // Without `type`, nullable has no effect in OpenAPI 3.0 (and $ref siblings are ignored).
    }
    delete node.nullable;
  }
  delete node.discriminator;
}

/**
 * Visits every schema object under `root` (itself included), descending only through schema
 * keywords — so property *names* like `oneOf` (LINE has one) are never mistaken for keywords.
 */
function walkSchema(root: unknown, visit: (node: Schema) => void): void {
  const go = (node: unknown): void => {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return;
    const s = node as Schema;
    visit(s);
    for (const kw of ['allOf', 'anyOf', 'oneOf']) {
      if (Array.isArray(s[kw])) for (const sub of s[kw] as unknown[]) go(sub);
    }
    for (const kw of ['not', 'additionalProperties', 'if', 'then', 'else']) go(s[kw]);
    if (Array.isArray(s.items)) for (const sub of s.items) go(sub);
    else go(s.items);
    for (const kw of ['properties', 'patternProperties']) {
      const map = s[kw];
      if (map && typeof map === 'object') for (const sub of Object.values(map)) go(sub);
    }
  };
  go(root);
}

// ---------------------------------------------------------------------------------------------
// Error formatting

function toDetails(errors: ErrorObject[]): ValidationDetail[] {
  const seen = new Set<string>();
  const details: ValidationDetail[] = [];
  for (const e of errors) {
    // "must match "then" schema" only repeats the subtype's own, more precise, errors.
    if (e.keyword === 'if') continue;
    let property = pointerToProperty(e.instancePath);
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      property = property ? `${property}.${missing}` : missing;
      message = 'must be specified';
    } else if (e.keyword === 'enum') {
      message = `must be one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    }
    const key = `${property}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    details.push({ message, property });
  }
  return details;
}

/** `/messages/0/text` -> `messages[0].text` (LINE's own notation in error details). */
function pointerToProperty(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

function formatDetail(d: ValidationDetail): string {
  return `${d.property || '(body)'}: ${d.message}`;
}
